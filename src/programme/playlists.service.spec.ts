import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { PlaylistsService } from './playlists.service.js';
import { ScheduleService } from './schedule.service.js';
import { refusal, specTrack } from './programme-spec-helpers.js';

describe('PlaylistsService (real SQLite)', () => {
  let ctx: TestService<PlaylistsService>;
  let service: PlaylistsService;

  beforeEach(async () => {
    ctx = await newTestService(PlaylistsService, { providers: [ScheduleService] });
    service = ctx.sut;
    await ctx.get(TrackRepository).insert([1, 2, 3, 4, 5].map(specTrack));
  });

  afterEach(() => ctx.close());

  const events = (name: string) => ctx.events.filter(([n]) => n === name).map(([, payload]) => payload);

  it('creates each kind with its own fields and defaults, and refuses fields of another kind, naming them', async () => {
    expect(await service.create({ name: 'Day', kind: 'rotation', weight: 3 })).toMatchObject({
      kind: 'rotation',
      enabled: true,
      weight: 3,
      artistSeparation: 0,
      everyTracks: null,
      everyMinutes: null,
      minute: null,
      trackIds: [],
      trackCount: 0,
    });
    expect(await service.create({ name: 'Ids', kind: 'jingle', everyMinutes: 15 })).toMatchObject({ everyTracks: null, everyMinutes: 15 });
    expect(await service.create({ name: 'News', kind: 'hourly', minute: 0, enabled: false })).toMatchObject({ minute: 0, enabled: false });
    expect(await refusal(service.create({ name: 'x', kind: 'ordered', weight: 2, minute: 5 }))).toEqual({
      status: 400,
      code: 'invalid_playlist',
      message: [
        'weight does not apply to an ordered playlist (rotation only)',
        'minute does not apply to an ordered playlist (hourly only)',
      ],
    });
    expect((await refusal(service.create({ name: 'x', kind: 'jingle' }))).message).toEqual([
      'a jingle playlist needs everyTracks (1–100), everyMinutes (1–1440) or both',
    ]);
    expect((await refusal(service.create({ name: 'x', kind: 'hourly' }))).code).toBe('invalid_playlist');
    // In the order made: by creation time, ties (made in the same millisecond) by id.
    const { playlists } = await service.list();
    const made = [...playlists].sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id));
    expect(playlists.map((p) => p.id)).toEqual(made.map((p) => p.id));
    expect(playlists.map((p) => p.name).sort()).toEqual(['Day', 'Ids', 'News']);
    expect(events('playlists.updated')).toHaveLength(3);
  });

  it('updates, keeps kind fields, resets them on a new kind', async () => {
    const day = await service.create({ name: 'Day', kind: 'rotation', weight: 3, artistSeparation: 4 });
    expect(await service.update(day.id, { name: 'Daytime' })).toMatchObject({ name: 'Daytime', weight: 3, artistSeparation: 4 });
    expect((await refusal(service.update(day.id, { kind: 'hourly' }))).message).toEqual(['an hourly playlist needs minute (0–59)']);
    expect(await service.update(day.id, { kind: 'hourly', minute: 30 })).toMatchObject({
      kind: 'hourly',
      weight: 1,
      artistSeparation: 0,
      minute: 30,
    });
    expect((await refusal(service.update(day.id, { weight: 2 }))).code).toBe('invalid_playlist');
    expect(await service.get(day.id)).toMatchObject({ name: 'Daytime', kind: 'hourly', minute: 30 });
    expect((await refusal(service.update('nope', { name: 'x' }))).code).toBe('playlist_not_found');
  });

  it('replaces, adds at a position, removes tracks; refuses unknown, repeated and present ids and a position past the end, changing nothing', async () => {
    const p = await service.create({ name: 'Ordered', kind: 'ordered' });
    expect((await service.setTracks(p.id, ['t3', 't1'])).trackIds).toEqual(['t3', 't1']);
    expect((await service.addTracks(p.id, { trackIds: ['t2'], position: 1 })).trackIds).toEqual(['t3', 't2', 't1']);
    expect((await service.addTracks(p.id, { trackIds: ['t4'] })).trackIds).toEqual(['t3', 't2', 't1', 't4']);
    expect((await service.addTracks(p.id, { trackIds: ['t5'], position: 0 })).trackIds).toEqual(['t5', 't3', 't2', 't1', 't4']);
    expect((await service.removeTrack(p.id, 't2')).trackIds).toEqual(['t5', 't3', 't1', 't4']);
    // Into the gap the removal left.
    expect((await service.addTracks(p.id, { trackIds: ['t2'], position: 2 })).trackIds).toEqual(['t5', 't3', 't2', 't1', 't4']);
    const before = await service.get(p.id);

    expect(await refusal(service.setTracks(p.id, ['t1', 'nope']))).toMatchObject({
      status: 400,
      code: 'unknown_track',
      message: ['trackIds names an unknown track nope'],
    });
    expect((await refusal(service.setTracks(p.id, ['t1', 't1']))).code).toBe('duplicate_track');
    expect(await refusal(service.addTracks(p.id, { trackIds: ['t1'] }))).toMatchObject({ status: 409, code: 'track_in_playlist' });
    expect(
      await refusal(service.removeTrack(p.id, 't1').then(() => service.addTracks(p.id, { trackIds: ['t1'], position: 9 }))),
    ).toMatchObject({
      status: 400,
      code: 'invalid_position',
    });
    await service.addTracks(p.id, { trackIds: ['t1'], position: 3 });
    expect(await service.get(p.id)).toMatchObject({ trackIds: before.trackIds });
    expect((await refusal(service.removeTrack(p.id, 'nope'))).code).toBe('playlist_track_not_found');
    expect((await refusal(service.setTracks('nope', []))).code).toBe('playlist_not_found');
  });

  it('loses a track removed from the library, and removing a playlist takes its schedule entries', async () => {
    const p = await service.create({ name: 'Ordered', kind: 'ordered' });
    await service.setTracks(p.id, ['t1', 't2']);
    await ctx.get(TrackRepository).remove('t1');
    expect((await service.get(p.id)).trackIds).toEqual(['t2']);
    await ctx.get(ScheduleService).create({ playlistId: p.id, days: [1], start: '10:00', end: '11:00' });
    await service.remove(p.id);
    expect(await ctx.get(ScheduleRepository).list()).toEqual([]);
    expect(events('schedule.updated').at(-1)).toMatchObject({ reason: 'deleted' });
    expect((await refusal(service.remove(p.id))).code).toBe('playlist_not_found');
  });

  it("keeps each playlist's tracks in the order set", async () => {
    const a = await service.create({ name: 'A', kind: 'ordered' });
    const b = await service.create({ name: 'B', kind: 'rotation' });
    await service.setTracks(a.id, ['t2', 't1']);
    await service.setTracks(b.id, ['t1', 't3', 't5']);
    const members = await Promise.all([a.id, b.id].map(async (id) => (await service.get(id)).trackIds));
    expect([a.name, b.name].map((name, i) => [name, members[i]])).toEqual([
      ['A', ['t2', 't1']],
      ['B', ['t1', 't3', 't5']],
    ]);
    // Two playlists made in the same millisecond list in either order (ties go by id).
    const counts = Object.fromEntries((await service.list()).playlists.map((p) => [p.name, p.trackCount]));
    expect(counts).toEqual({ A: 2, B: 3 });
  });
});
