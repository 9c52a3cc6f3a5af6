import { rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database.js';
import type { ProgrammeState, ScheduleEntry } from '../../src/contracts/programme.js';
import { PlaylistRepository, type PlaylistFields } from '../../src/repositories/playlist.repository.js';
import { ProgrammeStateRepository } from '../../src/repositories/programme-state.repository.js';
import { QueueRepository } from '../../src/repositories/queue.repository.js';
import { ScheduleRepository } from '../../src/repositories/schedule.repository.js';
import { TrackRepository, type NewTrack } from '../../src/repositories/track.repository.js';
import { createDatabase, testEnv } from '../env/index.js';

// The programme's queries on both databases Wave runs on: the same answers from SQLite and PostgreSQL.

const AT = '2026-01-01T00:00:00.000Z';

function track(i: number): NewTrack {
  return {
    id: `t${String(i).padStart(5, '0')}`,
    title: `Title ${i}`,
    artist: `Artist ${i % 7}`,
    album: '',
    genre: '',
    tags: [],
    path: `/music/${i}.mp3`,
    duration: 100 + i,
    addedAt: AT,
    fileSize: null,
    fileMtimeMs: null,
  };
}

const rotation = (name: string): PlaylistFields => ({
  name,
  kind: 'rotation',
  enabled: true,
  weight: 2,
  artistSeparation: 3,
  everyTracks: null,
  everyMinutes: null,
  minute: null,
});

const DATABASES: Array<[string, () => Promise<{ dataDir: string; databaseUrl?: string }>]> = [
  ['SQLite', async () => ({ dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-programme-')) })],
  [
    'PostgreSQL',
    async () => ({
      dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-programme-')),
      databaseUrl: await createDatabase(testEnv.postgresUrl(), 'programme'),
    }),
  ],
];

describe.each(DATABASES)('programme repositories on %s', (_name, open) => {
  let database: Database;
  let dataDir: string;
  let tracks: TrackRepository;
  let playlists: PlaylistRepository;
  let schedule: ScheduleRepository;
  let queue: QueueRepository;
  let state: ProgrammeStateRepository;

  beforeAll(async () => {
    const config = await open();
    dataDir = config.dataDir;
    database = await Database.open(config);
    tracks = new TrackRepository(database);
    playlists = new PlaylistRepository(database);
    schedule = new ScheduleRepository(database);
    queue = new QueueRepository(database);
    state = new ProgrammeStateRepository(database);
    await tracks.insert(Array.from({ length: 3000 }, (_, i) => track(i)));
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores playlists and their tracks: replace, insert at a place, remove, refusals that write nothing', async () => {
    const p = await playlists.create('p1', rotation('Day'), AT);
    expect(p).toMatchObject({ id: 'p1', weight: 2, artistSeparation: 3, trackIds: [], trackCount: 0 });
    const ids = Array.from({ length: 2500 }, (_, i) => track(i).id);
    // More ids than one statement takes: chunked, in order.
    expect(await playlists.replaceTracks('p1', ids, AT)).toMatchObject({ ok: true, playlist: { trackCount: 2500 } });
    expect((await playlists.get('p1'))!.trackIds).toEqual(ids);

    const added = await playlists.addTracks('p1', [track(2600).id, track(2601).id], 1, AT);
    expect(added.ok && added.playlist.trackIds.slice(0, 4)).toEqual([ids[0], track(2600).id, track(2601).id, ids[1]]);
    expect(await playlists.removeTrack('p1', ids[0], AT)).toBe('removed');
    expect(await playlists.removeTrack('p1', ids[0], AT)).toBe('not_member');
    expect(await playlists.removeTrack('nope', ids[0], AT)).toBe('playlist_missing');
    // Inserting at the front after a removal left a gap there.
    const front = await playlists.addTracks('p1', [ids[0]], 0, AT);
    expect(front.ok && front.playlist.trackIds.slice(0, 3)).toEqual([ids[0], track(2600).id, track(2601).id]);
    const before = await playlists.get('p1');

    expect(await playlists.addTracks('p1', [track(2700).id, 'nope'], undefined, AT)).toEqual({
      ok: false,
      reason: 'unknown_tracks',
      trackIds: ['nope'],
    });
    expect(await playlists.addTracks('p1', [track(2700).id, ids[5]], undefined, AT)).toEqual({
      ok: false,
      reason: 'already_members',
      trackIds: [ids[5]],
    });
    expect(await playlists.addTracks('p1', [track(2700).id], 2503, AT)).toEqual({
      ok: false,
      reason: 'position_out_of_range',
      length: 2502,
    });
    expect(await playlists.replaceTracks('nope', [], AT)).toEqual({ ok: false, reason: 'playlist_missing' });
    expect(await playlists.get('p1')).toEqual(before);
  });

  it('lists every playlist with counts, all() with ids in order, and updates fields', async () => {
    await playlists.create('p2', { ...rotation('Night'), kind: 'jingle', everyTracks: 4, weight: 1, artistSeparation: 0 }, AT);
    await playlists.replaceTracks('p2', [track(3).id, track(1).id], AT);
    expect((await playlists.list()).map((p) => [p.id, p.trackCount, p.kind])).toEqual([
      ['p1', 2502, 'rotation'],
      ['p2', 2, 'jingle'],
    ]);
    const all = await playlists.all();
    expect(all.map((p) => [p.id, p.trackIds.length])).toEqual([
      ['p1', 2502],
      ['p2', 2],
    ]);
    expect(all[1]).toMatchObject({ everyTracks: 4, everyMinutes: null, enabled: true, trackIds: [track(3).id, track(1).id] });
    const updated = await playlists.update('p2', (current) => ({ ...current, enabled: false, name: 'Idents' }), '2026-01-02T00:00:00.000Z');
    expect(updated).toMatchObject({ name: 'Idents', enabled: false, updatedAt: '2026-01-02T00:00:00.000Z', trackCount: 2 });
    expect(await playlists.update('nope', (c) => c, AT)).toBeNull();
    expect(await playlists.names(['p1', 'p2', 'nope'])).toEqual(
      new Map([
        ['p1', 'Day'],
        ['p2', 'Idents'],
      ]),
    );
  });

  it('stores schedule entries, vets a write in its transaction, and a removed playlist takes its entries', async () => {
    const entry: ScheduleEntry = {
      id: 'e1',
      playlistId: 'p2',
      days: [1, 7],
      start: '22:00',
      end: '02:00:30',
      startDate: '2026-01-01',
      endDate: null,
      priority: 2,
      createdAt: AT,
    };
    const seen: unknown[] = [];
    expect(await schedule.create(entry, (e, context) => seen.push([e.id, context.others.length, context.playlistNames.get('p2')]))).toEqual(
      entry,
    );
    expect(seen).toEqual([['e1', 0, 'Idents']]);
    await expect(
      schedule.create({ ...entry, id: 'e2' }, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await schedule.list()).toEqual([entry]);
    expect(await schedule.update('e1', { endDate: '2026-12-31', days: [3] }, () => undefined)).toEqual({
      ...entry,
      endDate: '2026-12-31',
      days: [3],
    });
    expect(await schedule.update('nope', {}, () => undefined)).toBeNull();
    expect(await schedule.get('e1')).toMatchObject({ days: [3], endDate: '2026-12-31' });

    await schedule.create({ ...entry, id: 'e3', playlistId: 'p1' }, () => undefined);
    expect(await playlists.remove('p2')).toEqual({ scheduleEntryIds: ['e1'] });
    expect(await playlists.remove('p2')).toBeNull();
    expect((await schedule.list()).map((e) => e.id)).toEqual(['e3']);
    expect(await schedule.remove('e3')).toBe(true);
    expect(await schedule.remove('e3')).toBe(false);
  });

  it('keeps the queue in order through inserts, removals and a started request; bounded', async () => {
    const order = async () => (await queue.list()).map((item) => [item.position, item.id, item.trackId]);
    expect(await queue.insert('q1', track(1).id, undefined, 3, AT)).toMatchObject({ ok: true, item: { position: 0 }, count: 1 });
    await queue.insert('q2', track(2).id, undefined, 3, AT);
    expect(await queue.insert('q3', track(3).id, 0, 3, AT)).toMatchObject({ ok: true, item: { position: 0 }, count: 3 });
    expect(await queue.insert('q4', track(4).id, 0, 3, AT)).toEqual({ ok: false, reason: 'full', length: 3 });
    expect(await order()).toEqual([
      [0, 'q3', track(3).id],
      [1, 'q1', track(1).id],
      [2, 'q2', track(2).id],
    ]);
    expect((await queue.list())[0]).toMatchObject({ title: 'Title 3', artist: 'Artist 3', duration: 103, addedAt: AT });
    expect(await queue.remove('q3')).toBe(true);
    expect(await queue.remove('q3')).toBe(false);
    expect(await queue.insert('q5', track(5).id, 1, 3, AT)).toMatchObject({ ok: true, item: { position: 1 } });
    expect(await queue.insert('q6', track(6).id, 4, 10, AT)).toEqual({ ok: false, reason: 'position_out_of_range', length: 3 });
    expect(await queue.insert('q7', 'nope', 0, 10, AT)).toEqual({ ok: false, reason: 'unknown_track' });
    expect(await queue.remove('q1')).toBe(true);
    expect(await queue.remove('q1')).toBe(false);
    // A track leaving the library leaves the queue and its playlists (foreign keys, cascading).
    await tracks.remove(track(2).id);
    expect(await order()).toEqual([[0, 'q5', track(5).id]]);
    expect(await queue.count()).toBe(1);
    expect((await playlists.get('p1'))!.trackIds).not.toContain(track(2).id);
  });

  it('keeps the bound and the places under concurrent writes (one at a time, on either database)', async () => {
    for (const item of await queue.list()) await queue.remove(item.id);
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.insert(`c${i}`, track(10 + i).id, 0, 5, AT)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.reason)).toEqual(Array(5).fill('full'));
    // Each went first when it was written: the list is the reverse of the commits, no two at one place.
    const stored = await database.db.selectFrom('queue_items').select('position').execute();
    expect(new Set(stored.map((r) => r.position)).size).toBe(5);

    await playlists.create('pc', rotation('Concurrent'), AT);
    const adds = await Promise.all(Array.from({ length: 8 }, (_, i) => playlists.addTracks('pc', [track(100 + i).id], 0, AT)));
    expect(adds.every((o) => o.ok)).toBe(true);
    const members = await database.db.selectFrom('playlist_tracks').select('position').where('playlist_id', '=', 'pc').execute();
    expect(new Set(members.map((m) => m.position)).size).toBe(8);
  });

  it('saves the decider state and the look-ahead as JSON, and the time zone', async () => {
    expect(await state.getState()).toBeNull();
    const saved: ProgrammeState = {
      seed: 42,
      cursors: { p1: { cycle: 1, key: 7, ahead: [9], lastTrackId: null, lastIndex: -1 } },
      library: { cycle: 0, key: -1, ahead: [], lastTrackId: 't1', lastIndex: 3 },
      recentArtists: ['A'],
      tracksSinceJingle: {},
      lastJingleAt: {},
      lastHourlyAt: {},
      generalPlays: 5,
      appliedItemIds: ['x'],
    };
    const planned = [
      { itemId: 'i1', trackId: 't2', reason: 'rotation' as const, playlistId: 'p1', queueItemId: null, scheduleEntryId: null },
    ];
    await state.saveState({ state: saved, planned: [] });
    await state.saveState({ state: { ...saved, generalPlays: 6 }, planned });
    expect(await state.getState()).toEqual({ state: { ...saved, generalPlays: 6 }, planned });
    expect(await state.getTimeZone()).toBe('UTC');
    await state.setTimeZone('Europe/Berlin');
    expect(await state.getTimeZone()).toBe('Europe/Berlin');
  });
});
