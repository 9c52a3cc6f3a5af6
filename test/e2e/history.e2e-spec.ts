import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { makeCover } from '../env/media.js';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
import { startRtmpIngest, type RtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { startWave, type WaveServer } from '../env/wave-server.js';
import { LevelListener, LOUD, QUIET } from '../medium/telegram-daemon.fixtures.js';

// Issue 12 end to end: the built server, PM2 running the real daemon, real ffmpeg pushing to a local Telegram-like
// RTMPS ingest. Three short tracks (quiet, loud, quiet) play; a listener on the ingest hears each change of level,
// and GET /api/history must list those tracks in the order they were heard, each ending where the next began.

const KEY = '1234567890:HistoryKeyHistoryKey';
const TRACK_SECONDS = 3;
const run = promisify(execFile);

interface Play {
  id: string;
  startedAt: string;
  endedAt: string | null;
  source: string;
  trackId: string | null;
  title: string;
  artist: string;
}

interface Page {
  items: Play[];
  nextCursor: string | null;
}

describe('Play history end to end (Wave → PM2 → daemon → RTMPS ingest → GET /api/history)', () => {
  let home: Pm2Home;
  let ingest: RtmpIngest;
  let wave: WaveServer;
  let listener: LevelListener | undefined;
  const trackIds: string[] = [];

  beforeAll(async () => {
    [home, ingest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    const media = await makeTempDir('history-media');
    const levels = [QUIET, LOUD, QUIET];
    await Promise.all([
      ...levels.map((level, i) =>
        run('ffmpeg', [
          ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi'],
          ...['-i', `aevalsrc=${level}*sin(2*PI*440*t):s=44100:d=${TRACK_SECONDS}`],
          ...['-ac', '2', '-metadata', `title=Tone ${i + 1}`, '-metadata', 'artist=History', join(media, `tone-${i + 1}.mp3`)],
        ]),
      ),
      makeCover(join(media, 'cover.png')),
    ]);
    wave = await startWave({ env: { PM2_HOME: home.path } });
    for (let i = 1; i <= levels.length; i++) {
      const added = await call<{ id: string }>(wave, 'POST', '/api/tracks', { path: join(media, `tone-${i}.mp3`) });
      expect(added.status).toBe(201);
      trackIds.push(added.body.id);
    }
    const config = await call(wave, 'PUT', '/api/stream/telegram/config', {
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: KEY,
      coverImage: join(media, 'cover.png'),
      // Back to back and as loud as they were made: each row is TRACK_SECONDS long, and the listener tells the quiet
      // tracks from the loud one by level (test/e2e/sound.e2e-spec.ts hears crossfades and loudness).
      crossfadeSec: 0,
      normalize: false,
    });
    expect(config.status, JSON.stringify(config.body)).toBe(200);
  });

  afterAll(async () => {
    await listener?.stop();
    if (wave) {
      await call(wave, 'POST', '/api/stream/telegram/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await ingest?.stop();
  });

  it('lists the tracks that played, in order, each ending where the next began, the last closed by the stop', async () => {
    expect((await call<Page>(wave, 'GET', '/api/history')).body).toEqual({ items: [], nextCursor: null });
    expect((await call(wave, 'POST', '/api/stream/telegram/start')).status).toBe(200);
    await waitUntil(async () => (await ingest.publishers('s')).length === 1, 15_000, 'the daemon to publish to the ingest');
    listener = new LevelListener(`${ingest.rtmpUrl('s')}${KEY}`);

    const history = async () => (await call<Page>(wave, 'GET', '/api/history?order=asc')).body.items;
    // The third track on the air, and the listener has heard both changes of level before it.
    await waitUntil(
      async () => (await history()).length >= 3 && listener!.changes.length >= 2,
      4 * TRACK_SECONDS * 1000 + 10_000,
      'three tracks in the history and two level changes heard',
    );
    const stop = await call(wave, 'POST', '/api/stream/telegram/stop');
    expect(stop.status).toBe(200);
    const stoppedAt = Date.now();

    const plays = await waitUntil(
      async () => {
        const items = await history();
        return items.length >= 3 && items.every((p) => p.endedAt !== null) && items;
      },
      5000,
      'every row closed after the stop',
    );
    expect(plays.slice(0, 3).map(({ source, trackId, title, artist }) => ({ source, trackId, title, artist }))).toEqual(
      [1, 2, 3].map((i) => ({ source: 'playlist', trackId: trackIds[i - 1], title: `Tone ${i}`, artist: 'History' })),
    );
    // Nothing played after the third: the stop came within its three seconds.
    expect(plays).toHaveLength(3);

    const start = (p: Play) => Date.parse(p.startedAt);
    const end = (p: Play) => Date.parse(p.endedAt!);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(end(plays[i]) - start(plays[i + 1]))).toBeLessThanOrEqual(1000);
      expect(Math.abs(end(plays[i]) - start(plays[i]) - TRACK_SECONDS * 1000)).toBeLessThan(1000);
    }
    // What the listener heard: the loud second track, then the quiet third, each within 1 s of its row's start.
    const [loud, quiet] = listener.changes;
    expect([loud.loud, quiet.loud]).toEqual([true, false]);
    expect(Math.abs(loud.at - start(plays[1]))).toBeLessThanOrEqual(1000);
    expect(Math.abs(quiet.at - start(plays[2]))).toBeLessThanOrEqual(1000);
    // The last row ends at the stop (as Wave learned it), after it started.
    expect(end(plays[2])).toBeGreaterThanOrEqual(start(plays[2]));
    expect(Math.abs(end(plays[2]) - stoppedAt)).toBeLessThanOrEqual(2000);

    // Newest first by default, and paged by its cursor with the same rows.
    const first = (await call<Page>(wave, 'GET', '/api/history?limit=2')).body;
    expect(first.items.map((p) => p.trackId)).toEqual([trackIds[2], trackIds[1]]);
    const second = (await call<Page>(wave, 'GET', `/api/history?limit=2&cursor=${first.nextCursor}`)).body;
    expect(second).toEqual({ items: [plays[0]], nextCursor: null });
    const foreign = await call<{ code: string; message: string[] }>(
      wave,
      'GET',
      `/api/history?limit=2&source=live&cursor=${first.nextCursor}`,
    );
    expect(foreign).toMatchObject({ status: 400, body: { code: 'invalid_cursor', message: [expect.stringMatching(/^cursor /)] } });
    console.info(
      `[history] rows: ${plays.map((p) => `${p.title} ${((end(p) - start(p)) / 1000).toFixed(2)} s`).join(', ')}; ` +
        `heard changes ${loud.at - start(plays[1])} ms and ${quiet.at - start(plays[2])} ms from the rows' starts`,
    );
  });
});
