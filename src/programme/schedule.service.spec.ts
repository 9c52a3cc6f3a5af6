import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { PlaylistsService } from './playlists.service.js';
import { refusal } from './programme-spec-helpers.js';
import { ScheduleService } from './schedule.service.js';

describe('ScheduleService (real SQLite)', () => {
  let ctx: TestService<ScheduleService>;
  let service: ScheduleService;
  let morning: string;
  let night: string;

  beforeEach(async () => {
    ctx = await newTestService(ScheduleService, { providers: [PlaylistsService] });
    service = ctx.sut;
    morning = (await ctx.get(PlaylistsService).create({ name: 'Morning', kind: 'rotation' })).id;
    night = (await ctx.get(PlaylistsService).create({ name: 'Night', kind: 'ordered' })).id;
  });

  afterEach(() => ctx.close());

  it('starts in UTC, sets a time zone, and keeps entries with their defaults', async () => {
    expect(await service.get()).toEqual({ timeZone: 'UTC', entries: [] });
    const entry = await service.create({ playlistId: morning, days: [5, 1, 2, 3, 4], start: '06:00', end: '10:00' });
    expect(entry).toMatchObject({ playlistId: morning, days: [1, 2, 3, 4, 5], startDate: null, endDate: null, priority: 0 });
    expect(await service.setTimeZone('Europe/Berlin')).toEqual({ timeZone: 'Europe/Berlin', entries: [entry] });
    expect(ctx.events.filter(([name]) => name === 'schedule.updated').map(([, e]) => (e as { reason: string }).reason)).toEqual([
      'created',
      'time_zone',
    ]);
  });

  it('refuses an overlap of equal priority naming both entries, allows another priority, and writes nothing on a refusal', async () => {
    const first = await service.create({ playlistId: night, days: [7], start: '22:00', end: '02:00' });
    const conflict = await refusal(service.create({ playlistId: morning, days: [1], start: '01:00', end: '03:00' }));
    expect(conflict).toMatchObject({ status: 409, code: 'schedule_conflict', details: { conflictingEntryId: first.id } });
    expect(conflict.message[0]).toContain(`entry ${first.id} (playlist "Night"`);
    expect(conflict.message[0]).toContain('The new entry (playlist "Morning"');
    expect((await service.get()).entries).toEqual([first]);

    const higher = await service.create({ playlistId: morning, days: [1], start: '01:00', end: '03:00', priority: 1 });
    // Lowering it to the other's priority is the same overlap.
    const changed = await refusal(service.update(higher.id, { priority: 0 }));
    expect(changed.message[0]).toContain(`entry ${higher.id} (playlist "Morning"`);
    // Touching is no overlap.
    await service.create({ playlistId: morning, days: [1], start: '02:00', end: '05:00' });
    expect((await service.get()).entries.map((e) => e.priority)).toEqual([0, 1, 0]);
  });

  it('checks the entry as changed: start ≠ end, dates in order, a known playlist; unknown ids are 404', async () => {
    const entry = await service.create({ playlistId: morning, days: [1], start: '06:00', end: '10:00' });
    expect(await refusal(service.update(entry.id, { end: '06:00:00' }))).toMatchObject({ status: 400, code: 'invalid_schedule_entry' });
    expect(
      await refusal(
        service.create({ playlistId: morning, days: [2], start: '06:00', end: '07:00', startDate: '2026-02-01', endDate: '2026-01-01' }),
      ),
    ).toMatchObject({
      code: 'invalid_schedule_entry',
      message: ['endDate must not be earlier than startDate'],
    });
    expect(await refusal(service.create({ playlistId: 'nope', days: [2], start: '06:00', end: '07:00' }))).toMatchObject({
      status: 400,
      code: 'unknown_playlist',
      message: ['playlistId names an unknown playlist nope'],
    });
    expect(await service.update(entry.id, { endDate: '2026-03-01' })).toMatchObject({ endDate: '2026-03-01', start: '06:00' });
    expect(await service.update(entry.id, { endDate: null })).toMatchObject({ endDate: null });
    expect((await refusal(service.update('nope', { priority: 1 }))).code).toBe('schedule_entry_not_found');
    expect((await refusal(service.remove('nope'))).code).toBe('schedule_entry_not_found');
    await service.remove(entry.id);
    expect((await service.get()).entries).toEqual([]);
  });
});
