import { describe, expect, it } from 'vitest';
import { findConflict, secondsOfDay, slotsOverlap, type WeeklySlot } from './schedule-overlap.js';

const slot = (days: number[], start: string, end: string, startDate: string | null = null, endDate: string | null = null): WeeklySlot => ({
  days,
  start,
  end,
  startDate,
  endDate,
});

describe('slotsOverlap', () => {
  it.each<[string, WeeklySlot, WeeklySlot, boolean]>([
    ['the same hours on the same day', slot([1], '10:00', '12:00'), slot([1], '11:00', '13:00'), true],
    ['one inside the other', slot([3], '08:00', '18:00'), slot([3], '09:00', '10:00'), true],
    ['the same hours on other days', slot([1, 2], '10:00', '12:00'), slot([3, 4], '10:00', '12:00'), false],
    ['touching [a,b) [b,c)', slot([1], '10:00', '11:00'), slot([1], '11:00', '12:00'), false],
    ['touching the other way round', slot([1], '11:00', '12:00'), slot([1], '10:00', '11:00'), false],
    ['seconds precision: one second apart', slot([1], '10:00:00', '10:59:59'), slot([1], '10:59:59', '12:00'), false],
    ['seconds precision: one second shared', slot([1], '10:00:00', '11:00:00'), slot([1], '10:59:59', '12:00'), true],
    ['overnight into the next day', slot([1], '22:00', '02:00'), slot([2], '01:00', '03:00'), true],
    ['overnight, the next day after it ends', slot([1], '22:00', '02:00'), slot([2], '02:00', '03:00'), false],
    ['overnight against the evening before it', slot([2], '01:00', '03:00'), slot([1], '23:00', '23:30'), false],
    ['Sunday night into Monday wraps the week', slot([7], '23:00', '01:00'), slot([1], '00:30', '02:00'), true],
    ['Monday early against Sunday night', slot([1], '00:00', '00:30'), slot([7], '23:30', '00:15'), true],
    ['Sunday night against a Monday entry after it ends', slot([7], '23:00', '01:00'), slot([1], '01:00', '02:00'), false],
    ['both overnight on the same night', slot([5], '23:00', '03:00'), slot([5], '20:00', '00:00'), true],
    ['end 00:00 is midnight, not the whole day', slot([5], '20:00', '00:00'), slot([6], '00:00', '06:00'), false],
    [
      'date ranges disjoint',
      slot([1], '10:00', '12:00', '2026-01-01', '2026-01-31'),
      slot([1], '10:00', '12:00', '2026-02-01', null),
      false,
    ],
    [
      'date ranges sharing a Monday',
      slot([1], '10:00', '12:00', '2026-01-01', '2026-01-31'),
      slot([1], '10:00', '12:00', '2026-01-26', null),
      true,
    ],
    // 2026-01-05 is a Monday: the ranges share the 3rd and 4th (Saturday and Sunday) only.
    [
      'date ranges sharing no day of the entries',
      slot([1], '10:00', '12:00', null, '2026-01-04'),
      slot([1], '10:00', '12:00', '2026-01-03', null),
      false,
    ],
    // A Sunday-night entry ending on its last date still runs into the Monday after it.
    [
      'overnight past the end of its date range',
      slot([7], '23:00', '02:00', null, '2026-01-04'),
      slot([1], '01:00', '03:00', '2026-01-05', null),
      true,
    ],
    [
      'overnight, the next day out of the other range',
      slot([7], '23:00', '02:00', null, '2026-01-04'),
      slot([1], '01:00', '03:00', '2026-01-06', null),
      false,
    ],
    [
      'a one-day range on its weekday',
      slot([1, 2, 3, 4, 5, 6, 7], '10:00', '11:00', '2026-01-07', '2026-01-07'),
      slot([3], '10:30', '12:00'),
      true,
    ],
    [
      'a one-day range on another weekday',
      slot([1, 2, 3, 4, 5, 6, 7], '10:00', '11:00', '2026-01-07', '2026-01-07'),
      slot([4], '10:30', '12:00'),
      false,
    ],
  ])('%s', (_name, a, b, overlap) => {
    expect(slotsOverlap(a, b)).toBe(overlap);
    expect(slotsOverlap(b, a)).toBe(overlap);
  });
});

describe('findConflict', () => {
  const entry = (id: string, priority: number, s: WeeklySlot) => ({ id, priority, ...s });

  it('finds an overlapping entry of equal priority, allows other priorities, and skips the entry itself', () => {
    const morning = entry('a', 0, slot([1], '08:00', '12:00'));
    const higher = entry('b', 5, slot([1], '09:00', '10:00'));
    const same = entry('c', 0, slot([1], '11:00', '13:00'));
    expect(findConflict(entry('new', 5, slot([1], '11:30', '12:30')), [morning, same])).toBeNull();
    expect(findConflict(entry('new', 0, slot([1], '11:30', '12:30')), [higher, morning, same])).toBe(morning);
    expect(findConflict(morning, [morning, higher])).toBeNull();
  });
});

describe('secondsOfDay', () => {
  it.each([
    ['00:00', 0],
    ['23:59:59', 86_399],
    ['10:30', 37_800],
    ['24:00', Number.NaN],
    ['1:00', Number.NaN],
    ['10:60', Number.NaN],
  ])('%s → %d', (time, seconds) => {
    expect(secondsOfDay(time)).toBe(seconds);
  });
});
