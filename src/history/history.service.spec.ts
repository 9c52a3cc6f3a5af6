import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { WaveValidationPipe } from '../common/wave-validation.pipe.js';
import { PlayHistoryRepository } from '../repositories/play-history.repository.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { encodePageCursor } from '../common/page-cursor.js';
import { ListHistoryQueryDto } from './dto/history.dto.js';
import { HEARTBEAT_INTERVAL_MS, HistoryService } from './history.service.js';

const T0 = Date.parse('2026-01-01T20:00:00.000Z');
/** T0 + seconds, as the daemon writes times. */
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const track = (id: string) => ({ id, title: `Title ${id}`, artist: `Artist ${id}`, duration: 3 });
/** A track the daemon chose in its own library order (no programme decision). */
const inLibraryOrder = { reason: null, playlistId: null, itemId: null, next: null };

const pipe = new WaveValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false });

describe('HistoryService (the play history, from the bus, in a real SQLite)', () => {
  let dataDir: string;
  let booted: Array<TestService<HistoryService>>;
  let ctx: TestService<HistoryService>;
  let service: HistoryService;

  async function boot(): Promise<TestService<HistoryService>> {
    const booting = await newTestService(HistoryService, { dataDir });
    booted.push(booting);
    return booting;
  }

  /** Raises a domain event as its owner would, then waits for the history to have written it. */
  async function emit<K extends keyof WaveEventMap>(name: K, payload: WaveEventMap[K]): Promise<void> {
    ctx.get(WaveEvents).emit(name, payload);
    await service.settled();
  }

  /** Every row, oldest first, as GET /api/history?order=asc answers. */
  async function rows() {
    return (await service.list({ order: 'asc', limit: 1000 })).items;
  }

  /** The query as the HTTP route gets it: through the global ValidationPipe, then the service. */
  async function query(raw: Record<string, unknown>) {
    const dto = (await pipe.transform(raw, { type: 'query', metatype: ListHistoryQueryDto })) as ListHistoryQueryDto;
    return service.list(dto);
  }

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    dataDir = await mkdtemp(join(tmpdir(), 'wave-history-spec-'));
    booted = [];
    ctx = await boot();
    service = ctx.sut;
  });

  afterEach(async () => {
    vi.useRealTimers();
    for (const booting of booted) await booting.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records tracks, a DJ taking the air and handing it back, and the daemon stopping, each row closed when the next starts', async () => {
    await emit('track.changed', { track: track('a'), startedAt: at(0), ...inLibraryOrder });
    expect(await rows()).toEqual([
      { id: expect.any(String), startedAt: at(0), endedAt: null, source: 'playlist', trackId: 'a', title: 'Title a', artist: 'Artist a' },
    ]);
    // The next track: the first is closed at its start (the daemon's track-ended for it comes first, at the same time).
    await emit('track.ended', { trackId: 'a', endedAt: at(3), reason: 'finished' });
    await emit('track.changed', { track: track('b'), startedAt: at(3), ...inLibraryOrder });
    // A DJ: the daemon ends the track (interrupted) and reports the live source at the same instant.
    await emit('track.ended', { trackId: 'b', endedAt: at(4.5), reason: 'interrupted' });
    await emit('telegram.source', {
      source: 'rtmp',
      previous: 'playlist',
      label: 'rtmp://127.0.0.1:1935/live/****',
      live: true,
      at: at(4.5),
    });
    // Handed back: the live row ends at the playlist's return, the next track opens its own row.
    await emit('telegram.source', { source: 'playlist', previous: 'rtmp', label: 'playlist', live: false, at: at(10) });
    await emit('track.changed', { track: track('c'), startedAt: at(10.1), ...inLibraryOrder });
    // The daemon stops: now playing's owner ends the track and says the daemon is gone (Wave's clock).
    vi.setSystemTime(T0 + 12_000);
    await emit('track.ended', { trackId: 'c', endedAt: at(12), reason: 'stopped' });
    await emit('telegram.daemon.stopped', { at: at(12) });

    expect(
      (await rows()).map(({ source, trackId, title, artist, startedAt, endedAt }) => [source, trackId, title, artist, startedAt, endedAt]),
    ).toEqual([
      ['playlist', 'a', 'Title a', 'Artist a', at(0), at(3)],
      ['playlist', 'b', 'Title b', 'Artist b', at(3), at(4.5)],
      ['live', null, 'rtmp://127.0.0.1:1935/live/****', '', at(4.5), at(10)],
      ['playlist', 'c', 'Title c', 'Artist c', at(10.1), at(12)],
    ]);
    // Newest first by default.
    expect((await service.list()).items.map((row) => row.trackId)).toEqual(['c', null, 'b', 'a']);
  });

  it("records the programme's plays the daemon started while Wave was away, each ending where the next starts", async () => {
    await ctx.get(TrackRepository).insert(
      ['x', 'y'].map((id) => ({
        ...track(id),
        album: '',
        genre: '',
        tags: [],
        path: `${id}.mp3`,
        addedAt: at(-60),
        fileSize: null,
        fileMtimeMs: null,
      })),
    );
    const play = (itemId: string, trackId: string, startedAt: string) => ({
      itemId,
      reason: 'rotation' as const,
      playlistId: 'pl-1',
      trackId,
      startedAt,
    });
    // Heard before Wave stopped, then a restarted Wave's first look-ahead is answered with what started meanwhile.
    await emit('track.changed', { track: track('a'), startedAt: at(0), reason: 'rotation', playlistId: 'pl-1', itemId: 'i-a', next: null });
    await emit('track.ended', { trackId: 'a', endedAt: at(2), reason: 'interrupted' });
    await emit('telegram.upcoming.accepted', {
      started: [play('i-a', 'a', at(0)), play('i-x', 'x', at(4)), play('i-y', 'y', at(8))],
      holding: [],
      at: at(9),
    });
    // The next start Wave hears, and the same answer repeated: nothing twice.
    await emit('track.changed', {
      track: track('b'),
      startedAt: at(12),
      reason: 'rotation',
      playlistId: 'pl-1',
      itemId: 'i-b',
      next: null,
    });
    await emit('telegram.upcoming.accepted', { started: [play('i-y', 'y', at(8)), play('i-b', 'b', at(12))], holding: [], at: at(13) });
    expect((await rows()).map(({ source, trackId, title, startedAt, endedAt }) => [source, trackId, title, startedAt, endedAt])).toEqual([
      ['rotation', 'a', 'Title a', at(0), at(2)],
      ['rotation', 'x', 'Title x', at(4), at(8)],
      ['rotation', 'y', 'Title y', at(8), at(12)],
      ['rotation', 'b', 'Title b', at(12), null],
    ]);
    // One heard late, between two rows already there, ends where the next one starts.
    await emit('telegram.upcoming.accepted', { started: [play('i-w', 'x', at(6))], holding: [], at: at(14) });
    expect((await rows()).find((row) => row.startedAt === at(6))).toMatchObject({ trackId: 'x', endedAt: at(8) });
  });

  it('closes the open row when something new starts even without an end report, and when the daemon stops', async () => {
    await emit('track.changed', { track: track('a'), startedAt: at(0), ...inLibraryOrder });
    await emit('track.changed', { track: track('b'), startedAt: at(3), ...inLibraryOrder });
    await emit('telegram.source', {
      source: 'url',
      previous: 'playlist',
      label: 'https://dj:secret@radio.example/stream?token=abc',
      live: false,
      at: at(5),
    });
    // A daemon started a moment "later" on its clock than Wave's: the row ends where it started, never before.
    vi.setSystemTime(T0 + 4_000);
    await emit('telegram.daemon.stopped', { at: at(4) });
    expect((await rows()).map(({ source, title, startedAt, endedAt }) => [source, title, startedAt, endedAt])).toEqual([
      ['playlist', 'Title a', at(0), at(3)],
      ['playlist', 'Title b', at(3), at(5)],
      ['radio', 'https://radio.example/stream', at(5), at(5)],
    ]);
  });

  it('writes the same facts once (every instance hears them), and a late end report never closes the next play', async () => {
    const facts = async () => {
      await emit('track.changed', { track: track('a'), startedAt: at(0), ...inLibraryOrder });
      await emit('track.ended', { trackId: 'a', endedAt: at(3), reason: 'finished' });
      await emit('track.changed', { track: track('a'), startedAt: at(3), ...inLibraryOrder });
    };
    await facts();
    await facts();
    // The same track again (a one-track loop): the end report of its previous play, delivered late, leaves it on air.
    await emit('track.ended', { trackId: 'a', endedAt: at(3), reason: 'finished' });
    expect((await rows()).map(({ trackId, startedAt, endedAt }) => [trackId, startedAt, endedAt])).toEqual([
      ['a', at(0), at(3)],
      ['a', at(3), null],
    ]);
  });

  it('at boot closes the rows a previous run left open at the last time it knew: its clean stop, else its last heartbeat or start', async () => {
    await emit('track.changed', { track: track('a'), startedAt: at(0), ...inLibraryOrder });
    vi.setSystemTime(T0 + 2_000);
    await ctx.close();
    booted = [];

    // Booted an hour later: the track ends at the stop, not at this boot.
    vi.setSystemTime(T0 + 3_600_000);
    ctx = await boot();
    service = ctx.sut;
    expect((await rows()).map(({ startedAt, endedAt }) => [startedAt, endedAt])).toEqual([[at(0), at(2)]]);

    // A crash (no clean stop): the daemon's stats kept the last-known time, refreshed at most every HEARTBEAT_INTERVAL_MS.
    const hour = 3600;
    await emit('track.changed', { track: track('b'), startedAt: at(hour), ...inLibraryOrder });
    const statsAt = (seconds: number) => {
      vi.setSystemTime(T0 + seconds * 1000);
      return emit('telegram.stats', {
        bitrateKbps: 128,
        bytesSent: 1,
        uptimeSec: 1,
        connectedSec: 1,
        connected: true,
        reconnects: 0,
        silenceMs: 0,
        destinations: [],
        at: at(seconds),
      });
    };
    await statsAt(hour + 5);
    await statsAt(hour + 10); // within the interval: not written
    const repository = ctx.get(PlayHistoryRepository);
    expect(await repository.lastKnown()).toBe(at(hour + 5));
    await statsAt(hour + 5 + HEARTBEAT_INTERVAL_MS / 1000);
    expect(await repository.lastKnown()).toBe(at(hour + 35));

    // Another run's leftover, crashed: boot closes it at the last-known time (an instance booting without a clean stop).
    vi.setSystemTime(T0 + 2 * hour * 1000);
    const next = await boot();
    expect((await next.sut.list({ order: 'asc' })).items.map(({ trackId, endedAt }) => [trackId, endedAt])).toEqual([
      ['a', at(2)],
      ['b', at(hour + 35)],
    ]);
  });

  it('at boot closes a leftover at boot time when Wave never recorded when it last knew', async () => {
    await ctx
      .get(PlayHistoryRepository)
      .db.insertInto('play_history')
      .values({ id: 'x', started_at: at(0), ended_at: null, source: 'radio', track_id: null, title: 'radio', artist: '' })
      .execute();
    vi.setSystemTime(T0 + 60_000);
    const next = await boot();
    expect((await next.sut.list()).items.map(({ id, endedAt }) => [id, endedAt])).toEqual([['x', at(60)]]);
  });

  it('pages newest first by an opaque cursor, filters by time range and source, and refuses a cursor of another query', async () => {
    for (let i = 0; i < 5; i++) await emit('track.changed', { track: track(`t${i}`), startedAt: at(i * 10), ...inLibraryOrder });
    await emit('telegram.source', { source: 'url', previous: 'playlist', label: 'https://radio.example/a', live: false, at: at(50) });

    const first = await query({ limit: '2' });
    expect(first.items.map((row) => row.startedAt)).toEqual([at(50), at(40)]);
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await query({ limit: '2', cursor: first.nextCursor });
    expect(second.items.map((row) => row.startedAt)).toEqual([at(30), at(20)]);
    const third = await query({ limit: '2', cursor: second.nextCursor });
    expect(third.items.map((row) => row.startedAt)).toEqual([at(10), at(0)]);
    expect(third.nextCursor).toBeNull();

    const range = await query({ order: 'asc', from: at(10), to: '2026-01-01T22:00:30+02:00', limit: '10' });
    expect(range.items.map((row) => row.trackId)).toEqual(['t1', 't2', 't3']);
    expect((await query({ source: 'radio' })).items.map((row) => row.title)).toEqual(['https://radio.example/a']);
    expect((await query({ from: '2026-01-02' })).items).toEqual([]);

    // The cursor belongs to its query: another order, filter or list is refused, naming `cursor`.
    const refusals = [
      { cursor: first.nextCursor, order: 'asc' },
      { cursor: first.nextCursor, source: 'playlist' },
      { cursor: first.nextCursor, from: at(0) },
      { cursor: 'not-a-cursor' },
      { cursor: '%%%' },
      { cursor: Buffer.from('{"h":1,"o":"desc","k":"yesterday","i":"x"}').toString('base64url') },
      { cursor: encodePageCursor('tracks', ['position', 'asc'], { key: 1, id: 'x' }) },
    ];
    for (const raw of refusals) {
      await expect(query(raw)).rejects.toMatchObject({
        status: 400,
        code: 'invalid_cursor',
        response: { message: [expect.stringMatching(/^cursor /)] },
      });
    }
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '1001' }, 'limit'],
    [{ limit: 'many' }, 'limit'],
    [{ order: 'up' }, 'order'],
    [{ source: 'jukebox' }, 'source'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-01-01T20:00:00' }, 'from'], // no zone: whose local time?
    [{ from: '2026-02-30T00:00:00Z' }, 'from'],
    [{ to: '2026-W01' }, 'to'],
    [{ to: ['2026-01-01', '2026-01-02'] }, 'to'],
    [{ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'to'],
    [{ bogus: '1' }, 'bogus'],
  ])('refuses %j with 400 naming %s', async (raw, field) => {
    const error = await query(raw).then(
      () => undefined,
      (e: { getStatus(): number; getResponse(): { message: string[] } }) => e,
    );
    expect(error?.getStatus()).toBe(400);
    expect(error?.getResponse().message.join('\n')).toMatch(new RegExp(`\\b${field}\\b`));
  });

  it('refuses from > to from a caller that skipped the pipe', async () => {
    await expect(service.list({ from: at(10), to: at(0) })).rejects.toMatchObject({ status: 400, code: 'invalid_query' });
    expect((await service.list({ from: at(10), to: at(10) })).items).toEqual([]);
  });
});
