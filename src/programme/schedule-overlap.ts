/**
 * Whether two weekly schedule entries share a moment, in the station's local wall time: each entry plays from
 * `start` to `end` on each of its days (an `end` at or before `start` runs into the next day; Sunday runs into
 * Monday), on the dates from `startDate` to `endDate` (the dates it may start on, inclusive; null: no bound).
 * Intervals are half-open, [start, end): an entry ending at 10:00 and one starting at 10:00 do not overlap.
 * Pure; no time zone is involved (wall times compare as they are, whatever the zone and its DST).
 */

export interface WeeklySlot {
  /** ISO weekdays (1 Monday … 7 Sunday) it starts on. */
  days: readonly number[];
  /** `HH:MM` or `HH:MM:SS`. */
  start: string;
  end: string;
  /** `YYYY-MM-DD` or null. */
  startDate: string | null;
  endDate: string | null;
}

export interface PrioritisedSlot extends WeeklySlot {
  id: string;
  priority: number;
}

const DAY_SECONDS = 86_400;

/** Seconds since midnight of `HH:MM` or `HH:MM:SS` (NaN when it is neither). */
export function secondsOfDay(time: string): number {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!match) return Number.NaN;
  const [h, m, s] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  return h < 24 && m < 60 && s < 60 ? h * 3600 + m * 60 + s : Number.NaN;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d) / (DAY_SECONDS * 1000);
}

/** ISO weekday of a day number (1970-01-01 was a Thursday, 4). */
function weekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** [start, end) in seconds from the start day's midnight; end is past 86,400 when it runs past midnight. */
function span(slot: WeeklySlot): [number, number] {
  const start = secondsOfDay(slot.start);
  const end = secondsOfDay(slot.end);
  return [start, end > start ? end : end + DAY_SECONDS];
}

/** Whether some date in [from, to] (day numbers, inclusive; infinite bounds allowed) falls on ISO weekday `weekday`. */
function hasWeekday(from: number, to: number, weekday: number): boolean {
  if (from > to) return false;
  if (to - from >= 6) return true;
  for (let day = from; day <= to; day++) if (weekdayOf(day) === weekday) return true;
  return false;
}

export function slotsOverlap(a: WeeklySlot, b: WeeklySlot): boolean {
  const [aStart, aEnd] = span(a);
  const [bStart, bEnd] = span(b);
  const aFrom = a.startDate === null ? -Infinity : dayNumber(a.startDate);
  const aTo = a.endDate === null ? Infinity : dayNumber(a.endDate);
  const bFrom = b.startDate === null ? -Infinity : dayNumber(b.startDate);
  const bTo = b.endDate === null ? Infinity : dayNumber(b.endDate);
  // An occurrence lasts under a day, so it can only meet occurrences that start the day before, the same day or the day after.
  for (const offset of [-1, 0, 1]) {
    // B starts `offset` days after A: in A's frame, B's interval moves by that many days.
    if (!(aStart < bEnd + offset * DAY_SECONDS && bStart + offset * DAY_SECONDS < aEnd)) continue;
    for (const aDay of new Set(a.days)) {
      const bDay = ((aDay - 1 + offset + 7) % 7) + 1;
      if (!b.days.includes(bDay)) continue;
      // A date A starts on (weekday aDay, in A's range) whose date + offset is in B's range.
      if (hasWeekday(Math.max(aFrom, bFrom - offset), Math.min(aTo, bTo - offset), aDay)) return true;
    }
  }
  return false;
}

/** The first entry of `others` (not `entry` itself) of the same priority that overlaps `entry`; entries of other priorities may overlap (the higher wins). */
export function findConflict<T extends PrioritisedSlot>(entry: PrioritisedSlot, others: readonly T[]): T | null {
  return others.find((other) => other.id !== entry.id && other.priority === entry.priority && slotsOverlap(entry, other)) ?? null;
}
