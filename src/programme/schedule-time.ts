/**
 * The weekly schedule against the clock, in the station's time zone. Pure: the instant is always passed in.
 *
 * Wall-clock semantics: an entry is on while the local wall time is within [start, end) of a day it starts on, so a
 * start inside a spring-forward gap begins at the first instant after the gap, and an hour repeated at fall-back is
 * on for both of its passes. Offsets come from luxon (the IANA database), never from arithmetic of our own.
 */
import { DateTime, IANAZone } from 'luxon';
import type { IsoWeekday, ScheduleEntry } from './programme.model.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAY_S = 86_400;
/** How far ahead nextScheduleChange looks (a week, and a day for an entry running past midnight). */
const LOOK_AHEAD_MS = 8 * DAY_MS;
/** Offset changes are looked for this often; real zones change at most a few times a year. */
const TRANSITION_SCAN_MS = 6 * HOUR_MS;

/** Zones by name, once checked (luxon checks a name by building an Intl formatter: too slow for every decision). */
const zones = new Map<string, IANAZone | null>();

function zoneOrNull(name: string): IANAZone | null {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = typeof name === 'string' && name.length > 0 && IANAZone.isValidZone(name) ? IANAZone.create(name) : null;
    zones.set(name, zone);
  }
  return zone;
}

export function isValidTimeZone(zone: string): boolean {
  return zoneOrNull(zone) !== null;
}

function zoneOf(timeZone: string): IANAZone {
  const zone = zoneOrNull(timeZone);
  if (zone === null) throw new Error(`not an IANA time zone: ${JSON.stringify(timeZone)}`);
  return zone;
}

/** `HH:MM` or `HH:MM:SS` (up to `24:00`) as seconds of the day; null when it is not a time. */
export function secondsOfDay(time: string): number | null {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!match) return null;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (minutes > 59 || seconds > 59) return null;
  const total = hours * 3600 + minutes * 60 + seconds;
  return total > DAY_S ? null : total;
}

/** An entry's times, parsed; null when one does not parse (such an entry is never on). */
function timesOf(entry: ScheduleEntry): { start: number; end: number; overnight: boolean } | null {
  const start = secondsOfDay(entry.start);
  const end = secondsOfDay(entry.end);
  if (start === null || end === null || start === DAY_S) return null;
  return { start, end, overnight: end <= start };
}

/** A local calendar day, as the schedule reads it. */
interface LocalDay {
  /** `YYYY-MM-DD`, comparable as a string with startDate/endDate. */
  date: string;
  weekday: IsoWeekday;
  /** Midnight of that date read as if it were UTC: the base of wall times on it. */
  wallMs: number;
}

function localDay(year: number, month: number, day: number): LocalDay {
  const wallMs = Date.UTC(year, month - 1, day);
  return dayFromWall(wallMs);
}

function dayFromWall(wallMs: number): LocalDay {
  const date = new Date(wallMs);
  const utcDay = date.getUTCDay();
  return { date: date.toISOString().slice(0, 10), weekday: (utcDay === 0 ? 7 : utcDay) as IsoWeekday, wallMs };
}

function startsOn(entry: ScheduleEntry, day: LocalDay): boolean {
  return (
    entry.days.includes(day.weekday) &&
    (entry.startDate === null || day.date >= entry.startDate) &&
    (entry.endDate === null || day.date <= entry.endDate)
  );
}

/** Highest priority first; equal priorities by id, so the choice between them is always the same one. */
export function byPriority(a: ScheduleEntry, b: ScheduleEntry): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The entries on at `at` (epoch ms), highest priority first. */
export function activeEntries(entries: readonly ScheduleEntry[], timeZone: string, at: number): ScheduleEntry[] {
  const local = DateTime.fromMillis(at, { zone: zoneOf(timeZone) });
  const today = localDay(local.year, local.month, local.day);
  const yesterday = dayFromWall(today.wallMs - DAY_MS);
  const now = local.hour * 3600 + local.minute * 60 + local.second + local.millisecond / 1000;
  const on: ScheduleEntry[] = [];
  for (const entry of entries) {
    const times = timesOf(entry);
    if (times === null) continue;
    const { start, end, overnight } = times;
    const fromToday = startsOn(entry, today) && now >= start && (overnight || now < end);
    const fromYesterday = overnight && now < end && startsOn(entry, yesterday);
    if (fromToday || fromYesterday) on.push(entry);
  }
  return on.sort(byPriority);
}

/**
 * The instants whose local wall time is `wallMs` (a wall time read as if UTC): one normally, two in an hour
 * repeated at fall-back, and for a wall time inside a spring-forward gap the first instant after the gap.
 */
export function instantsOfWallTime(zone: IANAZone, wallMs: number): number[] {
  const offsets = [...new Set([zone.offset(wallMs - DAY_MS), zone.offset(wallMs + DAY_MS)])];
  const instants = offsets.map((offset) => wallMs - offset * MINUTE_MS).filter((t) => wallMs - zone.offset(t) * MINUTE_MS === t);
  if (instants.length > 0) return [...new Set(instants)].sort((a, b) => a - b);
  // In a gap: the wall time is never shown; the clock jumps past it at the transition.
  const candidates = offsets.map((offset) => wallMs - offset * MINUTE_MS);
  return [firstInstantOfOffset(zone, Math.min(...candidates), Math.max(...candidates))];
}

/** The first instant in (before, after] whose offset differs from the offset at `before` (binary search, to the ms). */
function firstInstantOfOffset(zone: IANAZone, before: number, after: number): number {
  const offsetBefore = zone.offset(before);
  let [lo, hi] = [before, after];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === offsetBefore) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The next instant after `at` at which the set of active entries may change: an entry's start or end (both passes of
 * a repeated hour), or an offset change that changes the set (at fall-back the wall clock goes back). Looks 8
 * days ahead; null when nothing starts or ends in that time.
 */
export function nextScheduleChange(entries: readonly ScheduleEntry[], timeZone: string, at: number): number | null {
  const zone = zoneOf(timeZone);
  const limit = at + LOOK_AHEAD_MS;
  let next: number | null = null;
  const consider = (instant: number) => {
    if (instant > at && instant <= limit && (next === null || instant < next)) next = instant;
  };
  const local = DateTime.fromMillis(at, { zone });
  const today = localDay(local.year, local.month, local.day);
  let anyTimes = false;
  const timed = entries.flatMap((entry) => {
    const times = timesOf(entry);
    return times === null ? [] : [{ entry, times }];
  });
  // From yesterday (an entry started then may end today) to the last day whose start can be within the limit.
  for (let offsetDays = -1; offsetDays <= 8; offsetDays++) {
    const day = dayFromWall(today.wallMs + offsetDays * DAY_MS);
    // The wall times of an entry starting this day lie within two days of it; with one offset all around (no DST
    // change near), each is one instant at that offset: two lookups for the day instead of a few per time.
    const offset = zone.offset(day.wallMs - DAY_MS);
    const steady = zone.offset(day.wallMs + 3 * DAY_MS) === offset;
    const instants = (wallMs: number) => (steady ? [wallMs - offset * MINUTE_MS] : instantsOfWallTime(zone, wallMs));
    for (const { entry, times } of timed) {
      if (!startsOn(entry, day)) continue;
      anyTimes = true;
      const endWall = day.wallMs + (times.overnight ? DAY_MS : 0) + times.end * 1000;
      for (const instant of instants(day.wallMs + times.start * 1000)) consider(instant);
      for (const instant of instants(endWall)) consider(instant);
    }
  }
  if (!anyTimes) return null;
  let previousOffset = zone.offset(at);
  for (let t = at + TRANSITION_SCAN_MS; t < limit + TRANSITION_SCAN_MS; t += TRANSITION_SCAN_MS) {
    const offset = zone.offset(t);
    if (offset !== previousOffset) {
      // Only where it matters: at fall-back an entry that ended in the repeated hour comes back on, one that began in it goes off.
      const transition = firstInstantOfOffset(zone, t - TRANSITION_SCAN_MS, t);
      const ids = (instant: number) =>
        activeEntries(entries, timeZone, instant)
          .map((entry) => entry.id)
          .join('\n');
      if (ids(transition - 1) !== ids(transition)) consider(transition);
    }
    previousOffset = offset;
  }
  return next;
}

/**
 * The local hour `at` is in: its start (epoch ms; the two passes of a repeated hour are two hours) and the minute
 * of it (0–59) that `at` falls in.
 */
export function localHour(timeZone: string, at: number): { start: number; minute: number } {
  const local = DateTime.fromMillis(at, { zone: zoneOf(timeZone) });
  return { start: at - (local.minute * 60_000 + local.second * 1000 + local.millisecond), minute: local.minute };
}
