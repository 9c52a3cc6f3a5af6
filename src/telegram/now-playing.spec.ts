import 'reflect-metadata';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../database/database.js';
import { newTestService, type TestService } from '../../test/factory.js';
import type { NowPlaying } from '../contracts/socket-events.js';
import { isRunningState, nextNowPlaying, type NowPlayingFact, type Playing } from './now-playing.js';
import { NOW_PLAYING_FILE } from './now-playing.file.js';
import { NowPlayingService } from './now-playing.service.js';

const SONG: Playing = {
  trackId: 't1',
  title: 'Song',
  artist: 'Band',
  duration: 3,
  startedAt: '2026-01-01T20:00:00.000Z',
  reason: 'rotation',
  playlistId: 'p1',
};
const NEXT: Playing = {
  trackId: 't2',
  title: 'Next',
  artist: 'Band',
  duration: 4,
  startedAt: '2026-01-01T20:00:03.000Z',
  reason: null,
  playlistId: null,
};

describe('now playing, the one rule', () => {
  it.each<[string, Playing | null, NowPlayingFact, Playing | null]>([
    ['a track start is now playing', null, { fact: 'track-started', nowPlaying: SONG }, SONG],
    ['the next track start replaces it', SONG, { fact: 'track-started', nowPlaying: NEXT }, NEXT],
    ['its end clears it', SONG, { fact: 'track-ended', trackId: 't1' }, null],
    ["the previous track's end, reported late, leaves the next", NEXT, { fact: 'track-ended', trackId: 't1' }, NEXT],
    ['PM2 (or the daemon) saying the daemon runs keeps it', SONG, { fact: 'daemon', running: true }, SONG],
    ['PM2 (or the daemon) saying the daemon does not run clears it', SONG, { fact: 'daemon', running: false }, null],
    [
      'the playing track leaving the library keeps it, without a duration',
      SONG,
      { fact: 'tracks-removed', trackIds: ['x', 't1'] },
      { ...SONG, duration: null },
    ],
    ['another track leaving the library changes nothing', SONG, { fact: 'tracks-removed', trackIds: ['t2'] }, SONG],
    ['nothing playing stays so', null, { fact: 'tracks-removed', trackIds: ['t1'] }, null],
  ])('%s', (_name, current, fact, expected) => {
    expect(nextNowPlaying(current, fact)).toEqual(expected);
  });

  it('running is PM2 online or launching; every other state, and a daemon PM2 does not know, is not', () => {
    expect(['online', 'launching'].map(isRunningState)).toEqual([true, true]);
    expect(['stopped', 'stopping', 'errored', 'one-launch-status', 'waiting restart', '', null, undefined].map(isRunningState)).toEqual(
      Array(8).fill(false),
    );
  });
});

describe('NowPlayingService (memory, and DATA_DIR/now-playing.json apart from the library)', () => {
  let dataDir: string;
  let emitted: Array<[string, unknown]>;
  let booted: Array<TestService<NowPlayingService>>;
  const file = () => join(dataDir, NOW_PLAYING_FILE);

  async function boot(): Promise<NowPlayingService> {
    const ctx = await newTestService(NowPlayingService, { dataDir });
    ctx.get(EventEmitter2).onAny((name, payload) => emitted.push([String(name), payload]));
    booted.push(ctx);
    return ctx.sut;
  }

  const started = (service: NowPlayingService, np: Playing, itemId = `item-${np.trackId}`) =>
    service.trackStarted({
      track: {
        id: np.trackId,
        title: np.title,
        artist: np.artist,
        duration: np.duration ?? 0,
        ...(np.reason ? { play: { itemId, reason: np.reason, playlistId: np.playlistId } } : {}),
      },
      startedAt: np.startedAt,
    });
  /** What current() answers: the stored now playing and the programme's next. */
  const answer = (np: Playing, next: NowPlaying['next'] = null): NowPlaying => ({ ...np, next });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-now-playing-spec-'));
    emitted = [];
    booted = [];
  });

  afterEach(async () => {
    for (const ctx of booted) await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves a track start from memory, raises track.changed, and a restarted Wave reads it back', async () => {
    const first = await boot();
    expect(first.current()).toBeNull();
    started(first, SONG);
    expect(first.current()).toEqual(answer(SONG));
    expect(emitted).toEqual([
      [
        'track.changed',
        {
          track: { id: 't1', title: 'Song', artist: 'Band', duration: 3 },
          startedAt: SONG.startedAt,
          reason: 'rotation',
          playlistId: 'p1',
          itemId: 'item-t1',
          next: null,
        },
      ],
    ]);
    await first.onModuleDestroy();
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual(SONG);
    expect((await boot()).current()).toEqual(answer(SONG));
  });

  it('writes a burst of changes as the newest, leaves no temp file, and removes the file when nothing plays', async () => {
    const service = await boot();
    for (let i = 0; i < 20; i++) started(service, { ...SONG, trackId: `t${i}` });
    await service.saved();
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ ...SONG, trackId: 't19' });
    expect((await readdir(dataDir)).filter((f) => !f.startsWith(SQLITE_FILE))).toEqual([NOW_PLAYING_FILE]);
    service.trackEnded('t19');
    await service.saved();
    expect(existsSync(file())).toBe(false);
  });

  it('a playing track deleted from the library keeps playing without a duration; a stopped daemon clears it', async () => {
    const service = await boot();
    started(service, SONG);
    service.tracksUpdated({ reason: 'updated', trackIds: ['t1'], count: 1, at: SONG.startedAt });
    expect(service.current()).toEqual(answer(SONG));
    service.tracksUpdated({ reason: 'deleted', trackIds: ['t1'], count: 0, at: SONG.startedAt });
    expect(service.current()).toEqual(answer({ ...SONG, duration: null }));
    await service.saved();
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ ...SONG, duration: null });
    service.daemonRunning(true);
    expect(service.current()).not.toBeNull();
    service.daemonRunning(false);
    expect(service.current()).toBeNull();
  });

  it('raises track.ended when the track now playing ends, and telegram.daemon.stopped once per stop', async () => {
    const service = await boot();
    started(service, SONG);
    service.trackEnded('t0', '2026-01-01T20:00:01.000Z', 'finished'); // not the one playing: nothing ends
    service.trackEnded('t1', '2026-01-01T20:00:03.000Z', 'finished');
    started(service, NEXT);
    service.daemonRunning(true);
    service.daemonRunning(false);
    service.daemonRunning(false); // the same stop, read again from PM2
    service.daemonRunning(true);
    service.daemonRunning(false);
    const at = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/);
    expect(emitted.filter(([name]) => name !== 'track.changed')).toEqual([
      ['track.ended', { trackId: 't1', endedAt: '2026-01-01T20:00:03.000Z', reason: 'finished' }],
      ['track.ended', { trackId: 't2', endedAt: at, reason: 'stopped' }],
      ['telegram.daemon.stopped', { at }],
      ['telegram.daemon.stopped', { at }],
    ]);
  });

  it('boots with nothing playing from a file that holds no now playing, and removes temp files of interrupted writes', async () => {
    await writeFile(file(), '{"trackId": 1');
    await writeFile(`${file()}.tmp-${process.pid}-99`, '{}');
    expect((await boot()).current()).toBeNull();
    expect((await readdir(dataDir)).filter((f) => !f.startsWith(SQLITE_FILE))).toEqual([NOW_PLAYING_FILE]);
    await writeFile(file(), JSON.stringify({ ...SONG, duration: 'long' }));
    expect((await boot()).current()).toBeNull();
  });

  it('a current() copy cannot change what plays', async () => {
    const service = await boot();
    started(service, SONG);
    service.current()!.title = 'changed';
    expect(service.current()).toEqual(answer(SONG));
  });

  it("next is the programme's look-ahead item after the one playing, and its first item while none of it plays", async () => {
    const service = await boot();
    const item = (id: string, reason: 'rotation' | 'jingle') => ({
      play: { itemId: `item-${id}`, reason, playlistId: 'p1' },
      track: { id, title: `Title ${id}`, artist: 'Band', duration: 5 },
      path: `${id}.mp3`,
    });
    const upNext = (id: string, reason: 'rotation' | 'jingle') => ({
      trackId: id,
      title: `Title ${id}`,
      artist: 'Band',
      duration: 5,
      reason,
      playlistId: 'p1',
    });
    // Decided as t1 started: [t1 (playing), j1]; then again, from t1 on: [j1, t2].
    service.upcomingDecided({ items: [item('t1', 'rotation'), item('j1', 'jingle')], at: SONG.startedAt });
    started(service, SONG);
    expect(service.current()!.next).toEqual(upNext('j1', 'jingle'));
    expect(emitted.at(-1)![1]).toMatchObject({ next: upNext('j1', 'jingle') });
    service.upcomingDecided({ items: [item('j1', 'jingle'), item('t2', 'rotation')], at: SONG.startedAt });
    expect(service.current()!.next).toEqual(upNext('j1', 'jingle'));
    // A track the daemon chose itself: the look-ahead's first item plays next.
    started(service, NEXT);
    expect(service.current()).toEqual(answer(NEXT, upNext('j1', 'jingle')));
  });
});
