import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngineProxy, startDockerEngineProxy } from '../env/docker-engine-proxy.js';
import { freePort, makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { waitUntil } from '../env/wait.js';
import { makeTone, makeCover } from '../env/media.js';

// Issue 10, finding 4: with the Docker engine unreachable (or hung), a source change while streaming
// answered 200 restartRequired: false and the daemon never switched, because the decision asked the
// engine who is live first. Here the real daemon streams to a local Telegram-side ingest through PM2;
// the engine is a socket nobody listens on, or one that accepts and never answers.

const TELEGRAM_KEY = '1234567890:ChaosEngineDownKey0123';
/** The PUT's answer: the decision must not wait longer than one engine call's bound (3 s). */
const ANSWER_BOUND_MS = 5_000;
/** From the PUT to the daemon's report of the new source (it fetches the radio and plays its first audio). */
const SWITCH_BOUND_MS = 10_000;

interface TelegramStatus {
  running: boolean;
  source: { kind: string; label: string } | null;
}

describe.each(['unreachable', 'hung'] as const)('a Telegram source change with the Docker engine %s', (fault) => {
  let home: Pm2Home;
  let telegramIngest: RtmpIngest;
  let radio: Server;
  let radioUrl: string;
  let proxy: DockerEngineProxy | undefined;
  let wave: WaveServer;
  let logDir: string;
  const telegramStatus = async () => (await call<TelegramStatus>(wave, 'GET', '/api/stream/telegram/status')).body;

  beforeAll(async () => {
    [home, telegramIngest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    const media = await makeTempDir('chaos-source-media');
    logDir = await makeTempDir('chaos-source-logs');
    await Promise.all([
      makeTone(join(media, 'tone.mp3'), { seconds: 20, stereo: true, tags: { title: 'Tone' } }),
      makeTone(join(media, 'radio.mp3'), { hz: 660, seconds: 60, stereo: true, bitrate: '128k' }),
      makeCover(join(media, 'cover.png')),
    ]);
    // An internet radio on loopback: the same mp3 to every listener.
    radio = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      createReadStream(join(media, 'radio.mp3')).pipe(res);
    });
    await new Promise<void>((resolve) => radio.listen(0, '127.0.0.1', resolve));
    radioUrl = `http://127.0.0.1:${(radio.address() as AddressInfo).port}/radio.mp3`;

    const dir = await makeTempDir('chaos-source-engine');
    let dockerHost = `unix://${join(dir, 'nobody-listens.sock')}`;
    if (fault === 'hung') {
      // Before it hangs, the proxy passes on that nothing listens behind it: the engine is unreachable.
      proxy = await startDockerEngineProxy(join(dir, 'nobody-listens.sock'), dir);
      dockerHost = proxy.host;
    }
    wave = await startWave({ logDir, env: { DOCKER_HOST: dockerHost, PM2_HOME: home.path, RTMP_CALLBACK_PORT: String(await freePort()) } });
    // An ingest port nothing on this shared machine serves: no /stat answers there, as with no ingest running.
    const rtmpConfig = await call(wave, 'PUT', '/api/stream/rtmp/config', { httpPort: await freePort(), rtmpPort: await freePort() });
    expect(rtmpConfig.status, JSON.stringify(rtmpConfig.body)).toBe(200);
    proxy?.hang();
    expect((await call(wave, 'POST', '/api/tracks', { path: join(media, 'tone.mp3') })).status).toBe(201);
    const configured = await call(wave, 'PUT', '/api/stream/telegram/config', {
      serverUrl: telegramIngest.rtmpsServerUrl,
      streamKey: TELEGRAM_KEY,
      coverImage: join(media, 'cover.png'),
    });
    expect(configured.status, JSON.stringify(configured.body)).toBe(200);
    const started = await call(wave, 'POST', '/api/stream/telegram/start');
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await waitUntil(
      async () => (await telegramStatus()).source?.kind === 'playlist',
      20_000,
      'the daemon to report the playlist on the air',
    );
  });

  afterAll(async () => {
    if (wave) {
      await call(wave, 'POST', '/api/stream/telegram/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await telegramIngest?.stop();
    await proxy?.close();
    await new Promise((resolve) => radio?.close(resolve));
  });

  it('reaches the daemon live (no restart asked for), and the log says who is live could not be known', async () => {
    const putAt = performance.now();
    const changed = await call<{ restartRequired: boolean; source: string }>(wave, 'PUT', '/api/stream/telegram/config', {
      source: 'url',
      radioUrl,
    });
    const answeredMs = Math.round(performance.now() - putAt);
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ source: 'url', restartRequired: false });
    expect(answeredMs).toBeLessThan(ANSWER_BOUND_MS);
    await waitUntil(
      async () => (await telegramStatus()).source?.kind === 'url',
      SWITCH_BOUND_MS,
      'the daemon to report the radio URL on the air',
    );
    const switchedMs = Math.round(performance.now() - putAt);

    // And back, the same way.
    const back = await call<{ restartRequired: boolean }>(wave, 'PUT', '/api/stream/telegram/config', { source: 'playlist' });
    expect(back.body.restartRequired).toBe(false);
    await waitUntil(
      async () => (await telegramStatus()).source?.kind === 'playlist',
      SWITCH_BOUND_MS,
      'the daemon to report the playlist again',
    );
    console.info(`[source, engine ${fault}] PUT answered in ${answeredMs} ms; radio URL on the air ${switchedMs} ms after the PUT`);

    const log = await readFile(join(logDir, 'wave.log'), 'utf8');
    expect(log).toMatch(/the source was configured: who is live on the RTMP ingest is unknown \(.+\); deciding as if no DJ were live/);
    expect(log).not.toContain('could not switch the Telegram source');
    // Same connection throughout: one publisher at the Telegram side, and PM2 never restarted the daemon.
    expect(await telegramIngest.publishers('s')).toHaveLength(1);
  });
});
