import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir } from '../env/index.js';
import { isAlive } from '../env/host.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { waitUntil } from '../env/wait.js';
import { makeTone, makeCover } from '../env/media.js';

// Issue 6 end to end: the built server drives the real daemon through a real PM2 (private PM2_HOME),
// real ffmpeg pushes to a local Telegram-like RTMPS ingest (nginx-rtmp behind socat TLS).

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = '1234567890:AAbbCCddEEffGGhhIIjjKK';
const TRACK_SECONDS = 3;
const run = promisify(execFile);

interface Status {
  state: string;
  running: boolean;
  pid: number | null;
  restarts: number;
  memoryBytes: number;
  connected: boolean | null;
  connection: string;
  nowPlaying: { trackId: string } | null;
}

/** What the tests read from Wave's JSON answers. */
interface Answer {
  code?: string;
  message?: string[];
  nowPlaying?: { trackId: string } | null;
}

describe('Telegram stream end to end (Wave → PM2 → daemon → RTMPS ingest)', () => {
  let home: Pm2Home;
  let ingest: RtmpIngest;
  let wave: WaveServer;
  let dataDir: string;
  let logDir: string;
  let media: string;
  let waveOutput = '';
  const status = async () => (await call<Status>(wave, 'GET', '/api/stream/telegram/status')).body;
  const publishers = () => ingest.publishers('s');
  /** The npm scripts as an operator runs them, against this test's PM2 and directories. */
  const npmRun = async (script: string, args: string[] = [], env: Record<string, string> = {}) => {
    const result = await run('npm', ['run', '-s', script, ...(args.length ? ['--', ...args] : [])], {
      cwd: ROOT,
      env: { ...process.env, PM2_HOME: home.path, DATA_DIR: dataDir, LOG_DIR: logDir, ...env },
      timeout: 60_000,
    });
    return result.stdout + result.stderr;
  };

  beforeAll(async () => {
    [home, ingest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    dataDir = await makeTempDir('telegram-data');
    logDir = await makeTempDir('telegram-logs');
    media = await makeTempDir('telegram-media');
    await Promise.all([
      ...[220, 440, 880].map((hz, i) =>
        makeTone(join(media, `tone-${i + 1}.mp3`), { hz, seconds: TRACK_SECONDS, stereo: true, tags: { title: `Tone ${i + 1}` } }),
      ),
      makeCover(join(media, 'cover.png')),
    ]);
    wave = await startWave({ dataDir, logDir, env: { PM2_HOME: home.path } });
  });

  afterAll(async () => {
    if (wave) {
      waveOutput += wave.output();
      await wave.dispose();
    }
    await home?.dispose();
    await ingest?.stop();
  });

  it('keeps the stream key write-only, refuses bad config with nothing changed, and says what start lacks', async () => {
    expect((await call<Answer>(wave, 'GET', '/api/stream/telegram/config')).body).toMatchObject({
      streamKey: null,
      streamKeySet: false,
      source: 'playlist',
    });
    const notConfigured = await call<Answer>(wave, 'POST', '/api/stream/telegram/start');
    expect(notConfigured).toMatchObject({
      status: 400,
      body: { code: 'telegram_not_configured', message: [expect.stringContaining('streamKey')] },
    });

    const file = join(dataDir, 'telegram-config.json');
    const before = await readFile(file);
    for (const body of [
      { source: 'url', radioUrl: 'file:///etc/passwd' },
      { source: 'url', radioUrl: 'concat:/etc/passwd|/etc/hosts' },
      { source: 'url', radioUrl: 'subfile:,,start,0,end,0,,:/etc/passwd' },
      { source: 'url', radioUrl: 'pipe:0' },
      { serverUrl: 'http://127.0.0.1/s/' },
      { streamKey: KEY, source: 'url' }, // a url source needs a radio URL
      { streamKey: KEY, audioBitrateKbps: 5000 },
      { streamKey: KEY, coverImage: '/nonexistent/cover.png' },
      { streamKey: KEY, coverImage: '/etc/hostname' }, // readable, but a system file and no image
      { streamKey: KEY, bogus: true },
      { streamKey: KEY, loudnessTarget: -5 }, // louder than -9 LUFS
      { streamKey: KEY, crossfadeSec: 11 },
    ]) {
      const res = await call<Answer>(wave, 'PUT', '/api/stream/telegram/config', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(JSON.stringify(res.body)).not.toContain(KEY);
    }
    expect(await readFile(file)).toEqual(before);

    const saved = await call<Answer>(wave, 'PUT', '/api/stream/telegram/config', {
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: KEY,
      coverImage: join(media, 'cover.png'),
      // Back to back: now playing changes every TRACK_SECONDS (crossfades are test/e2e/sound.e2e-spec.ts's).
      crossfadeSec: 0,
    });
    expect(saved).toMatchObject({ status: 200, body: { streamKey: '****jjKK', streamKeySet: true, restartRequired: false } });
    expect(JSON.stringify(saved.body)).not.toContain(KEY);
    expect(JSON.stringify((await call<Answer>(wave, 'GET', '/api/stream/telegram/config')).body)).not.toContain(KEY);

    expect(await call<Answer>(wave, 'POST', '/api/stream/telegram/start')).toMatchObject({ status: 409, body: { code: 'playlist_empty' } });
    expect(await status()).toMatchObject({ state: 'not_started', running: false });
  });

  it('starts once however many starts race, and publishes H.264 + AAC to the RTMPS ingest', async () => {
    for (let i = 1; i <= 3; i++)
      expect((await call<Answer>(wave, 'POST', '/api/tracks', { path: join(media, `tone-${i}.mp3`) })).status).toBe(201);
    const starts = await Promise.all([1, 2, 3].map(() => call<Status>(wave, 'POST', '/api/stream/telegram/start')));
    expect(starts.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(new Set(starts.map((s) => s.body.pid)).size).toBe(1);
    expect(starts[0].body).toMatchObject({ state: 'online', running: true, restarts: 0 });

    const [publisher] = await waitUntil(
      async () => {
        const found = await publishers();
        return found.length === 1 && found[0].videoCodec && found[0].audioCodec && found;
      },
      15_000,
      'a publisher with codecs in /stat',
    );
    expect(publisher).toMatchObject({ name: KEY, videoCodec: 'H264', audioCodec: 'AAC' });
    const connected = await waitUntil(
      async () => {
        const s = await status();
        return s.connected ? s : undefined;
      },
      10_000,
      'status connected',
    );
    expect(connected).toMatchObject({ state: 'online', pid: starts[0].body.pid, restarts: 0 });
    expect(connected.memoryBytes).toBeGreaterThan(0);
  });

  it('reports now playing over HTTP as the tracks change, on one ingest session', async () => {
    const [{ publisher: session }] = await publishers();
    const changes: Array<{ trackId: string; at: number }> = [];
    await waitUntil(
      async () => {
        const { nowPlaying } = (await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).body;
        if (nowPlaying && nowPlaying.trackId !== changes.at(-1)?.trackId) changes.push({ trackId: nowPlaying.trackId, at: Date.now() });
        return changes.length >= 3;
      },
      4 * TRACK_SECONDS * 1000 + 5000,
      'two track changes in now playing',
    );
    const gaps = changes.slice(1).map((c, i) => c.at - changes[i].at);
    console.info(`[telegram] now playing changed after ${gaps.join(' ms, ')} ms (tracks of ${TRACK_SECONDS} s)`);
    for (const gap of gaps.slice(1)) expect(Math.abs(gap - TRACK_SECONDS * 1000)).toBeLessThan(1000);
    expect((await publishers()).map((p) => p.publisher.id)).toEqual([session.id]);
    expect((await status()).nowPlaying?.trackId).toBe(changes.at(-1)!.trackId);
  });

  it('a restarted Wave exits promptly, leaves the daemon running, and finds it with its state', async () => {
    const { pid } = await status();
    const stopping = Date.now();
    expect(await wave.stop()).toBe(0);
    const exitMs = Date.now() - stopping;
    expect(exitMs).toBeLessThan(5000);
    waveOutput += wave.output();
    expect(() => process.kill(pid!, 0)).not.toThrow();

    wave = await startWave({ dataDir, logDir, env: { PM2_HOME: home.path } });
    expect(await status()).toMatchObject({ state: 'online', pid });
    // Now playing is read back from DATA_DIR/now-playing.json at boot, and the daemon found running keeps it
    // (300 ms: at a track boundary the daemon's track-ended comes a moment before the next track-started).
    await waitUntil(
      async () => (await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).body.nowPlaying,
      300,
      'now playing right after the restart',
    );
    // Connection state comes with the daemon's next stats report (every 5 s).
    await waitUntil(async () => (await status()).connected, 8000, 'the restarted Wave to see the daemon connected');
    console.info(`[telegram] Wave exited in ${exitMs} ms with PM2 connected; the new one found pid ${pid} connected`);
  });

  it('publishes again within 5 s after the ingest was down for 10 s, with no PM2 restart', async () => {
    const { pid } = await status();
    await ingest.stopTls();
    await waitUntil(async () => (await publishers()).length === 0, 5000, 'the session to drop');
    await new Promise((r) => setTimeout(r, 10_000));
    const backAt = Date.now();
    await ingest.startTls();
    await waitUntil(async () => (await publishers()).length === 1, 5000, 'the daemon to publish again');
    console.info(`[telegram] publishing again ${Date.now() - backAt} ms after the ingest came back`);
    await waitUntil(async () => (await status()).connected, 8000, 'status connected again');
    expect(await status()).toMatchObject({ state: 'online', pid, restarts: 0 });
    // The daemon's own count, which its stats carry.
    await waitUntil(
      async () => /^wave_telegram_stream_reconnects_total [1-9]/m.test(await (await fetch(`${wave.baseUrl}/metrics`)).text()),
      8000,
      'the reconnects in /metrics',
    );
  });

  it('deleting the playing track neither stops nor reconnects the stream', async () => {
    const { pid } = await status();
    const [{ publisher: session }] = await publishers();
    const { nowPlaying } = (await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).body;
    if (!nowPlaying) throw new Error('nothing is playing');
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${nowPlaying.trackId}`)).status).toBe(204);
    await waitUntil(
      async () => {
        const current = (await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).body.nowPlaying;
        return current && current.trackId !== nowPlaying.trackId;
      },
      (TRACK_SECONDS + 3) * 1000,
      'another track to play',
    );
    expect((await publishers()).map((p) => p.publisher.id)).toEqual([session.id]);
    expect(await status()).toMatchObject({ state: 'online', pid, restarts: 0 });
  });

  it('restarts and stops through the API, idempotently', async () => {
    const { pid } = await status();
    const restarted = await call<Status>(wave, 'POST', '/api/stream/telegram/restart');
    expect(restarted).toMatchObject({ status: 200, body: { state: 'online', restarts: 1 } });
    expect(restarted.body.pid).not.toBe(pid);
    await waitUntil(async () => (await publishers()).length === 1, 15_000, 'a publisher after the restart');

    const stops = await Promise.all([1, 2].map(() => call<Status>(wave, 'POST', '/api/stream/telegram/stop')));
    expect(stops.map((s) => [s.status, s.body.state])).toEqual([
      [200, 'stopped'],
      [200, 'stopped'],
    ]);
    expect(await status()).toMatchObject({ running: false, pid: null, connected: false, nowPlaying: null });
    await waitUntil(async () => (await publishers()).length === 0, 5000, 'the ingest to lose the publisher');
    expect((await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).body).toEqual({ nowPlaying: null });
  });

  it('a daemon killed outright leaves no encoder pushing to the ingest', async () => {
    const started = await call<Status>(wave, 'POST', '/api/stream/telegram/start');
    expect(started).toMatchObject({ status: 200, body: { state: 'online', running: true } });
    await waitUntil(async () => (await publishers()).length === 1, 15_000, 'a publisher from the started daemon');
    // No SIGTERM handler runs: the encoder sees only its stdin close, and must end with it.
    process.kill(started.body.pid!, 'SIGKILL');
    await waitUntil(async () => (await publishers()).length === 0, 5000, "the ingest to lose the killed daemon's encoder");
    await waitUntil(async () => !(await status()).running, 5000, 'Wave to see the daemon gone');
  });

  it('starts, restarts, reports and stops through the npm scripts (Wave sees it all)', async () => {
    await npmRun('telegram:start');
    const started = await waitUntil(
      async () => {
        const s = await status();
        return s.state === 'online' && s;
      },
      10_000,
      'Wave to see the script-started daemon',
    );
    await waitUntil(async () => (await publishers()).length === 1, 15_000, 'a publisher from the script-started daemon');
    expect(await npmRun('telegram:status')).toMatch(/status\s*│\s*\S*online/);

    await npmRun('telegram:restart');
    await waitUntil(
      async () => {
        const s = await status();
        return s.state === 'online' && s.pid !== started.pid;
      },
      10_000,
      'a new pid after telegram:restart',
    );
    expect(await npmRun('telegram:logs', ['--nostream', '--lines', '5'])).toContain('telegram-stream');

    await npmRun('telegram:stop');
    expect(await status()).toMatchObject({ state: 'stopped', running: false });
    expect(await npmRun('telegram:status')).toMatch(/status\s*│\s*\S*stopped/);
  });

  it('runs radio.wave and telegram-stream from ecosystem.config.js through the pm2:* scripts', async () => {
    const port = await freePort();
    const env = { PORT: String(port), SOCKET_PORT: String(await freePort()), WAVE_RATE_LIMIT: '0' };
    await npmRun('pm2:start', [], env);
    const health = async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok;
    await waitUntil(health, 20_000, 'radio.wave under PM2 to answer');
    const listed = JSON.parse((await home.cli(['jlist'])).stdout) as Array<{ name: string; pm2_env: { status: string } }>;
    expect(listed.map((p) => p.name).sort()).toEqual(['radio.wave', 'telegram-stream']);
    expect(await npmRun('pm2:logs', ['--nostream', '--lines', '5'], env)).toContain('radio.wave');
    await npmRun('pm2:restart', [], env);
    await waitUntil(health, 20_000, 'radio.wave to answer after pm2:restart');
    await npmRun('pm2:stop', [], env);
    expect(await health()).toBeFalsy();
    const stopped = JSON.parse((await home.cli(['jlist'])).stdout) as Array<{ name: string; pm2_env: { status: string } }>;
    expect(stopped.map((p) => p.pm2_env.status)).toEqual(['stopped', 'stopped']);
  });

  it('a daemon whose PM2 dies stops streaming (no unsupervised second session)', async () => {
    await npmRun('telegram:start');
    await waitUntil(async () => (await publishers()).length === 1, 15_000, 'a publisher from the script-started daemon');
    const listed = JSON.parse((await home.cli(['jlist'])).stdout) as Array<{ name: string; pid: number }>;
    const daemonPid = listed.find((p) => p.name === 'telegram-stream')!.pid;
    const pm2Pid = Number((await readFile(join(home.path, 'pm2.pid'), 'utf8')).trim());
    expect(daemonPid).toBeGreaterThan(0);
    process.kill(pm2Pid, 'SIGKILL');
    await waitUntil(async () => (await publishers()).length === 0, 10_000, 'the ingest to lose the orphaned daemon');
    await waitUntil(() => !isAlive(daemonPid), 10_000, 'the orphaned daemon to exit');
  });

  it('never lets the stream key into a log line', async () => {
    const logs = await Promise.all((await readdir(logDir)).map((f) => readFile(join(logDir, f), 'utf8')));
    const everything = [waveOutput, wave.output(), ...logs].join('\n');
    expect(everything).toContain('telegram-stream');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(KEY.split(':')[1]);
  });
});
