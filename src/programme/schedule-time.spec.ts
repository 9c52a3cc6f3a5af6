import { describe, expect, it } from 'vitest';
import type { IsoWeekday, ScheduleEntry } from './programme.model.js';
import { activeEntries, isValidTimeZone, localHour, nextScheduleChange } from './schedule-time.js';

const ALL_DAYS: IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];

function entry(over: Partial<ScheduleEntry> = {}): ScheduleEntry {
  return {
    id: 'e1',
    playlistId: 'p1',
    days: ALL_DAYS,
    start: '10:00',
    end: '12:00',
    startDate: null,
    endDate: null,
    priority: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

const ms = (iso: string) => Date.parse(iso);

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Asia/Kolkata', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['+01:00', false],
  ])('%j → %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});

describe('activeEntries', () => {
  // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
  it.each<[string, Partial<ScheduleEntry>, string, string, boolean]>([
    // Plain day entries
    ['inside', {}, 'UTC', '2026-11-30T10:00:00Z', true],
    ['end is exclusive', {}, 'UTC', '2026-11-30T12:00:00Z', false],
    ['before the start', {}, 'UTC', '2026-11-30T09:59:59.999Z', false],
    ['not one of its days', { days: [2] }, 'UTC', '2026-11-30T11:00:00Z', false],
    ['seconds in the times', { start: '10:00:30', end: '10:00:45' }, 'UTC', '2026-11-30T10:00:30Z', true],
    ['24:00 ends the day', { start: '22:00', end: '24:00' }, 'UTC', '2026-11-30T23:59:59Z', true],
    ['start = end runs a whole day', { days: [1], start: '06:00', end: '06:00' }, 'UTC', '2026-12-01T05:59:00Z', true],
    ['an unparseable time is never on', { start: '25:00' }, 'UTC', '2026-11-30T10:30:00Z', false],
    // Local time, not UTC: 08:00–09:00 Monday in Berlin, in winter (UTC+1) and in summer (UTC+2)
    ['Berlin winter 08:00 CET', { days: [1], start: '08:00', end: '09:00' }, 'Europe/Berlin', '2026-03-23T07:00:00Z', true],
    ['Berlin winter 07:00 CET', { days: [1], start: '08:00', end: '09:00' }, 'Europe/Berlin', '2026-03-23T06:00:00Z', false],
    ['Berlin summer 08:00 CEST', { days: [1], start: '08:00', end: '09:00' }, 'Europe/Berlin', '2026-03-30T06:00:00Z', true],
    ['Berlin summer 09:00 CEST', { days: [1], start: '08:00', end: '09:00' }, 'Europe/Berlin', '2026-03-30T07:00:00Z', false],
    // Overnight and the week's wrap: Sunday 23:00–01:00 goes on into Monday
    ['Sunday 22:59', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-29T22:59:00Z', false],
    ['Sunday 23:00', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-29T23:00:00Z', true],
    ['Monday 00:30 (week wrap)', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-30T00:30:00Z', true],
    ['Monday 01:00', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-30T01:00:00Z', false],
    ['Monday 23:30 (starts Sundays only)', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-30T23:30:00Z', false],
    ['Sunday 00:30 (Saturday did not start it)', { days: [7], start: '23:00', end: '01:00' }, 'UTC', '2026-11-29T00:30:00Z', false],
    [
      'Friday 22:00–02:00, Saturday 01:59 Berlin',
      { days: [5], start: '22:00', end: '02:00' },
      'Europe/Berlin',
      '2026-11-28T00:59:00Z',
      true,
    ],
    [
      'Friday 22:00–02:00, Saturday 02:00 Berlin',
      { days: [5], start: '22:00', end: '02:00' },
      'Europe/Berlin',
      '2026-11-28T01:00:00Z',
      false,
    ],
    [
      'Friday 22:00–02:00, Friday 01:00 Berlin',
      { days: [5], start: '22:00', end: '02:00' },
      'Europe/Berlin',
      '2026-11-27T00:00:00Z',
      false,
    ],
    // Date ranges bound the local date of the day it starts on (inclusive)
    ['before startDate', { startDate: '2026-12-01', endDate: '2026-12-03' }, 'UTC', '2026-11-30T11:00:00Z', false],
    ['on startDate', { startDate: '2026-12-01', endDate: '2026-12-03' }, 'UTC', '2026-12-01T11:00:00Z', true],
    ['on endDate', { startDate: '2026-12-01', endDate: '2026-12-03' }, 'UTC', '2026-12-03T11:00:00Z', true],
    ['after endDate', { startDate: '2026-12-01', endDate: '2026-12-03' }, 'UTC', '2026-12-04T11:00:00Z', false],
    ['overnight past endDate: started on it', { start: '23:00', end: '01:00', endDate: '2026-12-03' }, 'UTC', '2026-12-04T00:30:00Z', true],
    [
      'overnight past endDate: a later start',
      { start: '23:00', end: '01:00', endDate: '2026-12-03' },
      'UTC',
      '2026-12-04T23:30:00Z',
      false,
    ],
    [
      'overnight on startDate: started the day before',
      { start: '23:00', end: '01:00', startDate: '2026-12-01' },
      'UTC',
      '2026-12-01T00:30:00Z',
      false,
    ],
    [
      'the local date, not the UTC one',
      { start: '00:00', end: '02:00', startDate: '2026-12-01' },
      'Europe/Berlin',
      '2026-11-30T23:30:00Z',
      true,
    ],
    // Berlin, spring forward 2026-03-29: 02:00 CET → 03:00 CEST (01:00 UTC). A start in the gap begins after it.
    ['Berlin gap: 01:59:59 CET', { days: [7], start: '02:30', end: '04:00' }, 'Europe/Berlin', '2026-03-29T00:59:59Z', false],
    [
      'Berlin gap: 03:00 CEST, first instant after',
      { days: [7], start: '02:30', end: '04:00' },
      'Europe/Berlin',
      '2026-03-29T01:00:00Z',
      true,
    ],
    ['Berlin gap: 03:59 CEST', { days: [7], start: '02:30', end: '04:00' }, 'Europe/Berlin', '2026-03-29T01:59:00Z', true],
    ['Berlin gap: 04:00 CEST', { days: [7], start: '02:30', end: '04:00' }, 'Europe/Berlin', '2026-03-29T02:00:00Z', false],
    // Berlin, fall back 2026-10-25: 03:00 CEST → 02:00 CET (01:00 UTC). The repeated hour is on for both passes.
    ['Berlin repeat: 01:59 CEST', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-24T23:59:00Z', false],
    ['Berlin repeat: 02:00 CEST, first pass', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-25T00:00:00Z', true],
    ['Berlin repeat: 02:59 CEST', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-25T00:59:00Z', true],
    ['Berlin repeat: 02:00 CET, second pass', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-25T01:00:00Z', true],
    ['Berlin repeat: 02:59 CET', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-25T01:59:00Z', true],
    ['Berlin repeat: 03:00 CET', { days: [7], start: '02:00', end: '03:00' }, 'Europe/Berlin', '2026-10-25T02:00:00Z', false],
    // New York, spring forward 2026-03-08 (02:00 EST → 03:00 EDT at 07:00 UTC) and fall back 2026-11-01 (02:00 EDT → 01:00 EST at 06:00 UTC)
    ['New York gap: 01:59 EST', { days: [7], start: '02:15', end: '03:30' }, 'America/New_York', '2026-03-08T06:59:00Z', false],
    ['New York gap: 03:00 EDT', { days: [7], start: '02:15', end: '03:30' }, 'America/New_York', '2026-03-08T07:00:00Z', true],
    ['New York gap: 03:30 EDT', { days: [7], start: '02:15', end: '03:30' }, 'America/New_York', '2026-03-08T07:30:00Z', false],
    ['New York repeat: 00:59 EDT', { days: [7], start: '01:00', end: '02:00' }, 'America/New_York', '2026-11-01T04:59:00Z', false],
    ['New York repeat: 01:00 EDT', { days: [7], start: '01:00', end: '02:00' }, 'America/New_York', '2026-11-01T05:00:00Z', true],
    ['New York repeat: 01:00 EST', { days: [7], start: '01:00', end: '02:00' }, 'America/New_York', '2026-11-01T06:00:00Z', true],
    ['New York repeat: 01:59 EST', { days: [7], start: '01:00', end: '02:00' }, 'America/New_York', '2026-11-01T06:59:00Z', true],
    ['New York repeat: 02:00 EST', { days: [7], start: '01:00', end: '02:00' }, 'America/New_York', '2026-11-01T07:00:00Z', false],
  ])('%s', (_name, over, zone, at, on) => {
    expect(activeEntries([entry(over)], zone, ms(at)).length).toBe(on ? 1 : 0);
  });

  it.each<[string, Array<Partial<ScheduleEntry>>, string[]]>([
    [
      'highest priority first',
      [
        { id: 'low', priority: 1 },
        { id: 'high', priority: 5 },
        { id: 'mid', priority: 3 },
      ],
      ['high', 'mid', 'low'],
    ],
    [
      'equal priorities by id, whatever the input order',
      [
        { id: 'b', priority: 2 },
        { id: 'a', priority: 2 },
        { id: 'c', priority: 9 },
      ],
      ['c', 'a', 'b'],
    ],
    ['only those on', [{ id: 'on' }, { id: 'off', start: '13:00', end: '14:00' }], ['on']],
  ])('%s', (_name, entries, ids) => {
    const active = activeEntries(entries.map(entry), 'UTC', ms('2026-11-30T11:00:00Z'));
    expect(active.map((e) => e.id)).toEqual(ids);
    const reversed = activeEntries(entries.map(entry).reverse(), 'UTC', ms('2026-11-30T11:00:00Z'));
    expect(reversed.map((e) => e.id)).toEqual(ids);
  });

  it('throws on a zone that is not one', () => {
    expect(() => activeEntries([entry()], 'Nowhere/Else', 0)).toThrow(/time zone/);
  });
});

describe('nextScheduleChange', () => {
  it.each<[string, Array<Partial<ScheduleEntry>>, string, string, string | null]>([
    ['no entries', [], 'UTC', '2026-11-30T09:00:00Z', null],
    ['the next start', [{ days: [1] }], 'UTC', '2026-11-30T09:00:00Z', '2026-11-30T10:00:00Z'],
    ['at the start: the end', [{ days: [1] }], 'UTC', '2026-11-30T10:00:00Z', '2026-11-30T12:00:00Z'],
    ['after the end: next week', [{ days: [1] }], 'UTC', '2026-11-30T12:00:00Z', '2026-12-07T10:00:00Z'],
    [
      'the earliest of several',
      [{ days: [1] }, { id: 'e2', days: [1], start: '11:00', end: '11:30' }],
      'UTC',
      '2026-11-30T10:30:00Z',
      '2026-11-30T11:00:00Z',
    ],
    [
      'overnight: the end the next day',
      [{ days: [7], start: '23:00', end: '01:00' }],
      'UTC',
      '2026-11-29T23:30:00Z',
      '2026-11-30T01:00:00Z',
    ],
    ['an entry ended by its endDate: none', [{ endDate: '2026-11-01' }], 'UTC', '2026-11-30T09:00:00Z', null],
    ['an entry from its startDate', [{ startDate: '2026-12-03' }], 'UTC', '2026-11-30T13:00:00Z', '2026-12-03T10:00:00Z'],
    ['beyond 8 days: none', [{ startDate: '2026-12-20' }], 'UTC', '2026-11-30T13:00:00Z', null],
    ['local time: Berlin 10:00 CET', [{ days: [1] }], 'Europe/Berlin', '2026-11-30T08:00:00Z', '2026-11-30T09:00:00Z'],
    [
      'across a DST change: New York 09:00 EDT the day after',
      [{ start: '09:00', end: '10:00' }],
      'America/New_York',
      '2026-03-07T18:00:00Z',
      '2026-03-08T13:00:00Z',
    ],
    // Berlin spring forward: a start at 02:30 in the gap is at the gap's end
    [
      'Berlin gap: the start after the gap',
      [{ days: [7], start: '02:30', end: '04:00' }],
      'Europe/Berlin',
      '2026-03-29T00:00:00Z',
      '2026-03-29T01:00:00Z',
    ],
    [
      'Berlin gap: then its end',
      [{ days: [7], start: '02:30', end: '04:00' }],
      'Europe/Berlin',
      '2026-03-29T01:00:00Z',
      '2026-03-29T02:00:00Z',
    ],
    // Berlin fall back: 01:00–02:30 is on, off at 02:30 CEST, on again when the clock goes back to 02:00, off at 02:30 CET
    [
      'Berlin repeat: the first end',
      [{ days: [7], start: '01:00', end: '02:30' }],
      'Europe/Berlin',
      '2026-10-24T23:00:00Z',
      '2026-10-25T00:30:00Z',
    ],
    [
      'Berlin repeat: back on as the clock goes back',
      [{ days: [7], start: '01:00', end: '02:30' }],
      'Europe/Berlin',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:00:00Z',
    ],
    [
      'Berlin repeat: the second end',
      [{ days: [7], start: '01:00', end: '02:30' }],
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      '2026-10-25T01:30:00Z',
    ],
  ])('%s', (_name, entries, zone, at, next) => {
    expect(nextScheduleChange(entries.map(entry), zone, ms(at))).toBe(next === null ? null : ms(next));
  });

  it.each([
    ['Europe/Berlin', 'fall back', '2026-10-22T00:00:00Z'],
    ['Europe/Berlin', 'spring forward', '2026-03-26T00:00:00Z'],
    ['America/New_York', 'fall back', '2026-10-29T00:00:00Z'],
    ['America/New_York', 'spring forward', '2026-03-05T00:00:00Z'],
  ])('names every instant where the active set changes, minute by minute over a week (%s, %s)', (zone, _change, from) => {
    const entries = [
      entry({ id: 'a', days: [7], start: '01:00', end: '02:30' }),
      entry({ id: 'b', days: [6, 7], start: '23:00', end: '00:30' }),
      entry({ id: 'c', start: '02:15', end: '02:45' }),
      entry({ id: 'd', days: [7], start: '02:30', end: '05:00' }),
      entry({ id: 'e', days: [1, 3, 5], start: '18:00', end: '18:00' }),
    ];
    const ids = (at: number) =>
      activeEntries(entries, zone, at)
        .map((e) => e.id)
        .join();
    let at = ms(from);
    const end = at + 7 * 86_400_000;
    let next = nextScheduleChange(entries, zone, at);
    let before = ids(at);
    let changes = 0;
    for (let t = at + 60_000; t < end; t += 60_000) {
      const now = ids(t);
      if (now !== before) {
        expect(next, new Date(t).toISOString()).toBe(t);
        changes++;
      }
      if (next !== null && t >= next) {
        at = t;
        next = nextScheduleChange(entries, zone, at);
      }
      before = now;
    }
    expect(changes).toBeGreaterThan(10);
  });
});

describe('localHour', () => {
  it.each([
    ['UTC', '2026-11-30T10:42:13.500Z', '2026-11-30T10:00:00Z', 42],
    ['Asia/Kolkata (UTC+05:30)', '2026-11-30T10:42:00Z', '2026-11-30T10:30:00Z', 12],
    ['Berlin first 02:xx pass', '2026-10-25T00:40:00Z', '2026-10-25T00:00:00Z', 40],
    ['Berlin second 02:xx pass', '2026-10-25T01:40:00Z', '2026-10-25T01:00:00Z', 40],
  ])('%s', (name, at, start, minute) => {
    const zone = name.startsWith('Asia') ? 'Asia/Kolkata' : name.startsWith('Berlin') ? 'Europe/Berlin' : 'UTC';
    expect(localHour(zone, ms(at))).toEqual({ start: ms(start), minute });
  });
});
