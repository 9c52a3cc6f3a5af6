import Docker from 'dockerode';
import { ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamingStatus, SystemEvent } from '../../src/contracts/socket-events.js';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { connectSocket } from '../env/sockets.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { LOUD, QUIET, ToneListener } from '../medium/telegram-daemon.fixtures.js';
import { waitUntil } from '../env/wait.js';
import { liveAudioArgs } from '../env/media.js';
import { makeToneTracks, putStationOnTheAir, stopProcess } from '../env/station.js';

// The headline feature end to end, everything real: Wave (built server), its RTMP ingest in Docker,
// PM2 running the Telegram daemon, a local RTMPS ingest standing in for Telegram, ffmpeg as the DJ.
// The playlist is a quiet 440 Hz tone, the DJ a loud 1000 Hz one: a listener on the Telegram side
// tells them apart by frequency, so it hears when the DJ takes the air and when the playlist is back, and
// whether the air went silent in between (the loudness control on the DJ changes the level, not the tone).

const TELEGRAM_KEY = '1234567890:TakeoverKeyTakeoverKey';
const DJ_KEY = 'dj-takeover-5e6f7a8b9c';
const CONTAINER = `wave-rtmp-takeover-${process.pid}`;
const TRACK_SECONDS = 6;
/** Issue #14: DJ start → heard at the Telegram side ≤ 1.5 s, DJ stop → programme heard ≤ 1.0 s (with margin on a busy 2-core machine). */
const SWITCH_IN_BOUND_MS = 1800;
const SWITCH_BACK_BOUND_MS = 1300;
/** No silence longer than this at either switch. */
const MAX_GAP_MS = 200;
const DJ_HZ = 1000;
const PLAYLIST_HZ = 440;

interface TelegramStatus {
  running: boolean;
  restarts: number;
  live: boolean;
  source: { kind: string; label: string } | null;
}

/** ffmpeg as a DJ: a loud 1000 Hz show, audio only, published in real time. */
function startDj(url: string): ChildProcess {
  return spawn('ffmpeg', liveAudioArgs(`aevalsrc=${LOUD}*sin(2*PI*1000*t):s=44100`, url), { stdio: 'ignore' });
}

interface LogEntry {
  at: number;
  message: string;
}

/** The JSON lines of a winston log file (Wave's or the daemon's), with their timestamps. */
async function logEntries(path: string): Promise<LogEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { timestamp: string; message: string };
      return [{ at: Date.parse(entry.timestamp), message: entry.message }];
    } catch {
      return [];
    }
  });
}

/**
 * Where a switch's time goes: each stage is the first log entry after `since` matching its pattern (Wave's callback,
 * Wave's command, the daemon's stages), then the listener hearing it. Printed as `stage +ms (Δ from the stage before)`.
 */
async function breakdown(
  logDir: string,
  since: number,
  stages: Array<[name: string, file: 'wave' | 'daemon', pattern: RegExp]>,
  heardAt: number,
): Promise<{ text: string; ms: Record<string, number> }> {
  const logs = { wave: await logEntries(join(logDir, 'wave.log')), daemon: await logEntries(join(logDir, 'telegram-stream.log')) };
  const ms: Record<string, number> = {};
  const parts: string[] = [];
  let previous = since;
  for (const [name, file, pattern] of [...stages, ['heard at the Telegram side', 'wave', /$^/] as const]) {
    const at = name === 'heard at the Telegram side' ? heardAt : logs[file].find((e) => e.at >= since - 5 && pattern.test(e.message))?.at;
    if (at === undefined) {
      parts.push(`${name} ?`);
      continue;
    }
    ms[name] = at - since;
    parts.push(`${name} +${at - since} (Δ${at - previous})`);
    previous = at;
  }
  return { text: parts.join(' → '), ms };
}

const SWITCH_IN_STAGES: Array<[string, 'wave' | 'daemon', RegExp]> = [
  ['on_publish at Wave', 'wave', /^Publisher on air/],
  ['switch-source sent', 'wave', /went live: a DJ takes the air/],
  ['daemon told', 'daemon', /^switch to rtmp requested/],
  ['first PCM', 'daemon', /^first audio from/],
  ['feeder on the DJ', 'daemon', /^feeder switched to rtmp/],
];
const SWITCH_BACK_STAGES: Array<[string, 'wave' | 'daemon', RegExp]> = [
  ['on_publish_done at Wave', 'wave', /^Publisher left the air/],
  ['switch-source sent', 'wave', /stopped: the configured playlist goes on the air/],
  ['daemon told', 'daemon', /^switch to playlist requested/],
  ['feeder on the playlist', 'daemon', /^feeder switched to playlist/],
];

describe('Live DJ takeover end to end (DJ → Wave RTMP ingest → Wave → daemon → Telegram-side ingest, one connection)', () => {
  let home: Pm2Home;
  let telegramIngest: RtmpIngest;
  let wave: WaveServer;
  let listener: ToneListener;
  let admin: Socket;
  let dj: ChildProcess | undefined;
  let dataDir: string;
  let logDir: string;
  let rtmpPort: number;
  const systemEvents: Array<SystemEvent & { receivedAt: number }> = [];
  const statusPushes: StreamingStatus[] = [];
  const docker = () => new Docker({ socketPath: testEnv.dockerHost().replace('unix://', '') });
  const telegramStatus = async () => (await call<TelegramStatus>(wave, 'GET', '/api/stream/telegram/status')).body;

  beforeAll(async () => {
    [home, telegramIngest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    dataDir = await makeTempDir('takeover-data');
    logDir = await makeTempDir('takeover-logs');
    const media = await makeTempDir('takeover-media');
    const [callbackPort, httpPort] = [await freePort(), await freePort()];
    rtmpPort = await freePort();
    const tracks = await makeToneTracks(media, 2, TRACK_SECONDS, QUIET);
    wave = await startWave({
      dataDir,
      logDir,
      env: { PM2_HOME: home.path, DOCKER_HOST: testEnv.dockerHost(), RTMP_CALLBACK_PORT: String(callbackPort) },
    });
    await putStationOnTheAir(wave, {
      container: CONTAINER,
      rtmpPort,
      httpPort,
      djKey: DJ_KEY,
      tracks,
      cover: join(media, 'cover.png'),
      telegramServerUrl: telegramIngest.rtmpsServerUrl,
      telegramKey: TELEGRAM_KEY,
    });

    admin = await connectSocket(`${wave.socketUrl}/admin`);
    admin.on('system', (event: SystemEvent) => systemEvents.push({ ...event, receivedAt: Date.now() }));
    admin.on('status', (status: StreamingStatus) => statusPushes.push(status));
  });

  afterAll(async () => {
    if (dj) await stopProcess(dj, 'SIGKILL');
    await listener?.stop();
    admin?.close();
    if (wave) {
      await call(wave, 'POST', '/api/stream/telegram/stop').catch(() => undefined);
      await call(wave, 'POST', '/api/stream/rtmp/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await telegramIngest?.stop();
    const leftovers = await docker()
      .listContainers({ all: true, filters: { name: [CONTAINER] } })
      .catch(() => []);
    for (const c of leftovers) await docker().getContainer(c.Id).remove({ force: true });
  });

  it('a DJ takes the air and hands it back on the same Telegram connection, heard at the ingest, seen over HTTP and Socket.IO', async () => {
    // The playlist is on the air: one publisher at the Telegram side, and the listener hears the quiet tone.
    const [session] = await waitUntil(
      async () => {
        const found = await telegramIngest.publishers('s');
        return found.length === 1 && found[0].audioCodec ? found : undefined;
      },
      15_000,
      'the daemon to publish to the Telegram-side ingest',
    );
    const sessionId = session.publisher.id;
    listener = new ToneListener(`${telegramIngest.rtmpUrl('s')}${TELEGRAM_KEY}`);
    await waitUntil(() => listener.receivedAny, 10_000, 'the listener to hear the playlist');
    await waitUntil(async () => (await telegramStatus()).source?.kind === 'playlist', 10_000, 'status: the playlist on the air');
    expect(listener.firstHeard(DJ_HZ, 0)).toBeUndefined();

    // The DJ goes live on Wave's ingest with a valid key.
    const djStartedAt = Date.now();
    dj = startDj(`rtmp://127.0.0.1:${rtmpPort}/live/${DJ_KEY}`);
    const djHeard = await waitUntil(
      () => listener.firstHeard(DJ_HZ, djStartedAt),
      SWITCH_IN_BOUND_MS + 5000,
      'the DJ heard at the Telegram-side ingest',
    );
    const switchInMs = djHeard.at - djStartedAt;
    const onLive = await waitUntil(
      async () => {
        const status = await telegramStatus();
        return status.live && status.source?.kind === 'rtmp' ? status : undefined;
      },
      5000,
      'status: the DJ on the air',
    );
    expect(onLive.source!.label).not.toContain(DJ_KEY);
    const streaming = (await call<StreamingStatus>(wave, 'GET', '/api/streaming/status')).body;
    expect(streaming.telegram.source).toBe('rtmp');
    expect(streaming.rtmp.publishers).toBe(1);

    // The show goes on for a while, and a second session publishing the same key meanwhile (nginx refuses
    // it, then reports it done with the same stream name) does not end it: the DJ stays on the air.
    const duplicate = startDj(`rtmp://127.0.0.1:${rtmpPort}/live/${DJ_KEY}`);
    try {
      await waitUntil(() => duplicate.exitCode !== null, 5000, 'nginx to refuse the duplicate publisher');
    } finally {
      await stopProcess(duplicate, 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 2500));
    expect(listener.firstHeard(PLAYLIST_HZ, djHeard.at + 1000)).toBeUndefined();
    expect((await telegramStatus()).source?.kind).toBe('rtmp');
    // nginx did report the refused session as gone (the case the takeover must see through).
    expect(systemEvents.filter((e) => e.type === 'rtmp.publisher.disconnected' && e.receivedAt >= djStartedAt)).toHaveLength(1);

    // The DJ stops (ffmpeg ends the publish as a DJ's software does); the playlist comes back.
    const djStoppedAt = Date.now();
    await stopProcess(dj, 'SIGINT');
    const playlistHeard = await waitUntil(
      () => listener.firstHeard(PLAYLIST_HZ, djStoppedAt),
      SWITCH_BACK_BOUND_MS + 5000,
      'the playlist heard again',
    );
    const switchBackMs = playlistHeard.at - djStoppedAt;
    await waitUntil(
      async () => {
        const status = await telegramStatus();
        return !status.live && status.source?.kind === 'playlist';
      },
      5000,
      'status: the playlist back on the air',
    );

    await new Promise((r) => setTimeout(r, 500));
    const inStages = await breakdown(logDir, djStartedAt, SWITCH_IN_STAGES, djHeard.at);
    const backStages = await breakdown(logDir, djStoppedAt, SWITCH_BACK_STAGES, playlistHeard.at);
    const gapsIn = listener.gaps(1, { from: djHeard.at - 1500, to: djHeard.at + 1000 });
    const gapsBack = listener.gaps(1, { from: djStoppedAt, to: playlistHeard.at + 1000 });
    const longest = (gaps: Array<{ ms: number }>) => Math.max(0, ...gaps.map((g) => g.ms));
    console.info(`[takeover] DJ process start → DJ heard at the Telegram-side ingest: ${switchInMs} ms`);
    console.info(`[takeover]   ${inStages.text}`);
    console.info(`[takeover] DJ stop → playlist heard again: ${switchBackMs} ms`);
    console.info(`[takeover]   ${backStages.text}`);
    console.info(`[takeover] longest silence at the switch in: ${longest(gapsIn)} ms, at the switch back: ${longest(gapsBack)} ms`);
    expect(switchInMs).toBeLessThanOrEqual(SWITCH_IN_BOUND_MS);
    expect(switchBackMs).toBeLessThanOrEqual(SWITCH_BACK_BOUND_MS);
    expect(longest(gapsIn)).toBeLessThanOrEqual(MAX_GAP_MS);
    expect(longest(gapsBack)).toBeLessThanOrEqual(MAX_GAP_MS);

    // One Telegram session throughout, and PM2 never restarted the daemon.
    const publishers = await telegramIngest.publishers('s');
    expect(publishers.map((p) => p.publisher.id)).toEqual([sessionId]);
    const final = await telegramStatus();
    expect(final).toMatchObject({ running: true, restarts: 0 });

    // The admin socket saw the DJ come and go, and status pushes with the live relay on the air.
    await waitUntil(
      () => systemEvents.some((e) => e.type === 'telegram.source.changed' && e.details.live === false && e.receivedAt >= djStoppedAt),
      3000,
      'the hand-back as a system event',
    );
    const sourceEvents = systemEvents.filter((e) => e.type === 'telegram.source.changed' && e.receivedAt >= djStartedAt);
    expect(sourceEvents.map((e) => [e.details.source, e.details.live])).toEqual([
      ['rtmp', true],
      ['playlist', false],
    ]);
    expect(systemEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['rtmp.publisher.connected', 'rtmp.publisher.disconnected']));
    expect(statusPushes.some((s) => s.telegram.source === 'rtmp')).toBe(true);
    expect(statusPushes.at(-1)?.telegram.source).toBe('playlist');
    console.info(
      `[takeover] DJ start → 'DJ on air' event at /admin: ${sourceEvents[0].receivedAt - djStartedAt} ms; DJ stop → hand-back event: ${sourceEvents[1].receivedAt - djStoppedAt} ms`,
    );
  });

  it('take puts a DJ on the air with the takeover off, release takes them off (a fade, same session) until they publish again', async () => {
    const djUrl = `rtmp://127.0.0.1:${rtmpPort}/live/${DJ_KEY}`;
    const [session] = await telegramIngest.publishers('s');
    const noDj = await call<{ code: string }>(wave, 'POST', '/api/stream/live/take');
    expect(noDj.status).toBe(409);
    expect(noDj.body.code).toBe('no_live_dj');
    expect((await call(wave, 'PUT', '/api/stream/telegram/config', { liveTakeover: false })).status).toBe(200);

    dj = startDj(djUrl);
    await waitUntil(async () => (await telegramIngest.publishers('s')).length === 1, 1000, 'the Telegram session');
    await new Promise((r) => setTimeout(r, 2500)); // live, but the takeover is off: the playlist plays on
    expect(listener.firstHeard(DJ_HZ, Date.now() - 2000)).toBeUndefined();

    const takenAt = Date.now();
    const take = await call<{ action: string; publisherId: string }>(wave, 'POST', '/api/stream/live/take');
    expect(take.status, JSON.stringify(take.body)).toBe(200);
    expect(take.body.action).toBe('take');
    const djHeard = await waitUntil(() => listener.firstHeard(DJ_HZ, takenAt), 5000, 'the taken DJ heard');
    const status = await waitUntil(
      async () => {
        const found = await call<TelegramStatus & { liveOverride: { action: string } | null }>(wave, 'GET', '/api/stream/telegram/status');
        return found.body.live ? found.body : undefined;
      },
      5000,
      'status: the taken DJ live',
    );
    expect(status.liveOverride?.action).toBe('take');

    await new Promise((r) => setTimeout(r, 1500));
    const releasedAt = Date.now();
    const release = await call<{ action: string }>(wave, 'POST', '/api/stream/live/release');
    expect(release.status, JSON.stringify(release.body)).toBe(200);
    const playlistHeard = await waitUntil(() => listener.firstHeard(PLAYLIST_HZ, releasedAt), 5000, 'the programme after the release');
    // The takeover back on and the DJ still publishing the same session: they stay off the air.
    expect((await call(wave, 'PUT', '/api/stream/telegram/config', { liveTakeover: true })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(listener.firstHeard(DJ_HZ, playlistHeard.at + 700)).toBeUndefined();
    const released = await call<{ liveOverride: { action: string } | null }>(wave, 'GET', '/api/stream/telegram/status');
    expect(released.body.liveOverride?.action).toBe('release');
    const gaps = listener.gaps(1, { from: takenAt, to: Date.now() });
    console.info(
      `[takeover] take → DJ heard: ${djHeard.at - takenAt} ms; release → programme heard: ${playlistHeard.at - releasedAt} ms; longest silence: ${Math.max(0, ...gaps.map((g) => g.ms))} ms`,
    );
    expect(Math.max(0, ...gaps.map((g) => g.ms))).toBeLessThanOrEqual(MAX_GAP_MS);

    // A new session of the same DJ ends the release: with the takeover on, they have the air again.
    await stopProcess(dj, 'SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    const againAt = Date.now();
    dj = startDj(djUrl);
    await waitUntil(() => listener.firstHeard(DJ_HZ, againAt), 5000, 'the DJ publishing again heard');
    await waitUntil(
      async () => (await call<{ liveOverride: unknown }>(wave, 'GET', '/api/stream/telegram/status')).body.liveOverride === null,
      3000,
      'the release ended',
    );
    await stopProcess(dj, 'SIGINT');

    // No reconnect throughout: the same Telegram session; the events told the story.
    expect((await telegramIngest.publishers('s')).map((p) => p.publisher.id)).toEqual([session.publisher.id]);
    const overrides = systemEvents.filter((e) => e.type === 'telegram.live.override').map((e) => e.details.action);
    expect(overrides).toEqual(['take', 'release', 'none']);
  });

  it('never shows either key: config, events and both logs', async () => {
    const config = await call<{ relayUrl: string }>(wave, 'GET', '/api/stream/telegram/config');
    expect(config.body.relayUrl).toBe('');
    const seen = [
      JSON.stringify(config.body),
      JSON.stringify(systemEvents),
      JSON.stringify(statusPushes),
      wave.output(),
      await readFile(join(logDir, 'telegram-stream.log'), 'utf8'),
    ].join('\n');
    expect(seen).toContain('DJ'); // the logs did record the takeover
    expect(seen).not.toContain(DJ_KEY);
    expect(seen).not.toContain(TELEGRAM_KEY);
  });
});
