import Docker from 'dockerode';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { FileLockRepository } from '../../src/repositories/file-lock.repository.js';
import { StorageRepository } from '../../src/repositories/storage.repository.js';
import { RtmpIngestKeys } from '../../src/rtmp/ingest-keys.js';
import { INGEST_NONCE_LABEL, RTMP_LABELS } from '../../src/rtmp/rtmp.constants.js';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { QuietPublisher, startQuietPublisher } from '../env/quiet-publisher.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { connectSocket } from '../env/sockets.js';
import { waitUntil } from '../env/wait.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { makeCover, liveAudioArgs } from '../env/media.js';

const run = promisify(execFile);

// Every secret a running station holds, each distinctive enough that a substring match means a leak.
const TELEGRAM_KEY = '1234567890:ScanTelegramTokenScanTelegram';
const DJ_KEY = 'dj-scan-8c7d6e5f4a3b';
const RELAY_KEY = 'relay-scan-3b4c5d6e7f8a';
const RADIO_USER = 'scan-listener';
const RADIO_PASSWORD = 'radio-pass-5e6f7a8b9c';
const RADIO_TOKEN = 'radio-token-9a8b7c6d5e';
const API_TOKEN = 'scan-api-token-0123456789abcdef';
const CONTAINER = `wave-rtmp-scan-${process.pid}`;

/**
 * README documents nothing as impossible to keep off a command line, so nothing is allowed here. A case
 * proven impossible would be listed with its reason, and asserted to show up exactly there.
 */
const DOCUMENTED_EXCEPTIONS: Array<{ secret: string; where: RegExp }> = [];

interface TelegramStatus {
  running: boolean;
  live: boolean;
  source: { kind: string; label: string } | null;
  lastError: { code: string; message: string } | null;
}

/** An Icecast-like radio that wants Basic credentials and a token in the query: MP3 in real time from ffmpeg's stdout. */
async function startRadio(): Promise<{ server: Server; url: string; listeners: () => number }> {
  let listeners = 0;
  const expected = `Basic ${Buffer.from(`${RADIO_USER}:${RADIO_PASSWORD}`).toString('base64')}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected || !req.url?.includes(`token=${RADIO_TOKEN}`)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="radio"' }).end();
      return;
    }
    listeners += 1;
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    const ffmpeg: ChildProcess = spawn(
      'ffmpeg',
      liveAudioArgs('aevalsrc=0.2*sin(2*PI*660*t):s=44100', 'pipe:1', { codec: 'libmp3lame', format: 'mp3' }),
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    ffmpeg.stdout!.pipe(res);
    res.once('close', () => ffmpeg.kill('SIGKILL'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${RADIO_USER}:${RADIO_PASSWORD}@127.0.0.1:${port}/stream.mp3?token=${RADIO_TOKEN}`,
    listeners: () => listeners,
  };
}

/** Every process's command line, as any local user reads it. */
async function commandLines(): Promise<Array<{ pid: string; cmdline: string }>> {
  const lines: Array<{ pid: string; cmdline: string }> = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (raw) lines.push({ pid, cmdline: raw.split('\0').join(' ').trim() });
  }
  return lines;
}

describe('secret scan: a whole station running, nothing secret in any command line, /stat, response, log or event', () => {
  let home: Pm2Home;
  let telegramIngest: RtmpIngest;
  let wave: WaveServer;
  let radio: Awaited<ReturnType<typeof startRadio>>;
  let admin: Socket;
  let dj: QuietPublisher | undefined;
  let relay: QuietPublisher | undefined;
  let dataDir: string;
  let logDir: string;
  let rtmpPort: number;
  let httpPort: number;
  const events: Array<{ event: string; payload: unknown }> = [];
  const leaks: Array<{ phase: string; where: string; secret: string }> = [];
  /** Other things a scan found wrong, gathered so that one run reports every leak at once. */
  const problems: string[] = [];
  const docker = () => new Docker({ socketPath: testEnv.dockerHost().replace('unix://', '') });
  const secrets = [TELEGRAM_KEY, TELEGRAM_KEY.split(':')[1], DJ_KEY, RELAY_KEY, RADIO_PASSWORD, RADIO_TOKEN, API_TOKEN];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${wave.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      text,
      body: text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : undefined,
    };
  };
  const telegramStatus = async () => (await api('GET', '/api/stream/telegram/status')).body as TelegramStatus;
  /** waitUntil, saying on a timeout what the daemon reports (its source and last error). */
  const waitFor = <T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string) =>
    waitUntil(check, timeoutMs, what).catch(async (error: Error) => {
      throw new Error(`${error.message}; telegram status: ${JSON.stringify(await telegramStatus())}`);
    });

  /** Records each secret found in `text`, unless README documents it as impossible to avoid there. */
  const scan = (phase: string, where: string, text: string) => {
    for (const secret of secrets) {
      if (!text.includes(secret)) continue;
      if (DOCUMENTED_EXCEPTIONS.some((e) => e.secret === secret && e.where.test(where))) continue;
      leaks.push({ phase, where, secret });
    }
  };

  /**
   * Scans every process until a snapshot shows the station's own: the daemon, its encoder (`-f flv`) and the
   * decoder of what is on the air, `expectFfmpeg` (the scan would pass vacuously otherwise; a decoder being
   * restarted is a moment, not a failure). Every snapshot taken is scanned.
   */
  const scanProcesses = async (phase: string, expectFfmpeg: RegExp) => {
    let seen = '';
    await waitUntil(
      async () => {
        const lines = await commandLines();
        for (const { pid, cmdline } of lines) scan(phase, `/proc/${pid}/cmdline: ${cmdline.slice(0, 160)}`, cmdline);
        const ffmpegs = lines.filter((l) => /^\S*ffmpeg /.test(l.cmdline)).map((l) => l.cmdline);
        seen = `${lines.filter((l) => l.cmdline.includes('telegramStreamProcess')).length} daemon(s), ffmpeg: ${ffmpegs.map((c) => c.slice(0, 120)).join(' | ')}`;
        return (
          lines.some((l) => l.cmdline.includes('telegramStreamProcess')) &&
          ffmpegs.some((c) => c.includes('-shortest') && c.includes('-f flv')) &&
          ffmpegs.some((c) => !c.includes('-shortest') && expectFfmpeg.test(c))
        );
      },
      10_000,
      `${phase}: the daemon, its encoder and a decoder matching ${expectFfmpeg} among the processes`,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; last seen: ${seen}; telegram status: ${JSON.stringify(await telegramStatus())}`);
    });
  };

  beforeAll(async () => {
    [home, telegramIngest, radio] = await Promise.all([createPm2Home(), startRtmpIngest(), startRadio()]);
    dataDir = await makeTempDir('scan-data');
    logDir = await makeTempDir('scan-logs');
    const media = await makeTempDir('scan-media');
    [rtmpPort, httpPort] = [await freePort(), await freePort()];
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.03*sin(2*PI*440*t):s=44100:d=6',
      '-ac',
      '2',
      join(media, 'tone.mp3'),
    ]);
    await makeCover(join(media, 'cover.png'));
    wave = await startWave({
      dataDir,
      logDir,
      env: {
        PM2_HOME: home.path,
        DOCKER_HOST: testEnv.dockerHost(),
        RTMP_CALLBACK_PORT: String(await freePort()),
        WAVE_API_TOKEN: API_TOKEN,
        NODE_ENV: 'production',
      },
    });
    admin = await connectSocket(`${wave.socketUrl}/admin`, { auth: { token: API_TOKEN } });
    admin.onAny((event: string, payload: unknown) => events.push({ event, payload }));
    await admin.emitWithAck('subscribe', { rooms: ['log:wave', 'log:telegram'] });

    const rtmpConfig = await api('PUT', '/api/stream/rtmp/config', {
      image: testEnv.rtmpImage(),
      containerName: CONTAINER,
      rtmpPort,
      httpPort,
      streamKeys: [DJ_KEY],
    });
    expect(rtmpConfig.status, rtmpConfig.text).toBe(200);
    expect((await api('POST', '/api/stream/rtmp/start')).status).toBe(200);
    expect((await api('POST', '/api/tracks', { path: join(media, 'tone.mp3') })).status).toBe(201);
    const telegramConfig = await api('PUT', '/api/stream/telegram/config', {
      serverUrl: telegramIngest.rtmpsServerUrl,
      streamKey: TELEGRAM_KEY,
      source: 'url',
      radioUrl: radio.url,
      coverImage: join(media, 'cover.png'),
    });
    expect(telegramConfig.status, telegramConfig.text).toBe(200);
    expect((await api('POST', '/api/stream/telegram/start')).status).toBe(200);
  });

  afterAll(async () => {
    await dj?.stop();
    await relay?.stop();
    admin?.close();
    if (wave) {
      await api('POST', '/api/stream/telegram/stop').catch(() => undefined);
      await api('POST', '/api/stream/rtmp/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await telegramIngest?.stop();
    await new Promise((resolve) => radio?.server.close(resolve));
    const leftovers = await docker()
      .listContainers({ all: true, filters: { name: [CONTAINER] } })
      .catch(() => []);
    for (const c of leftovers) await docker().getContainer(c.Id).remove({ force: true });
  });

  it('radio with a password on the air, a DJ taking over and handing back, then a relay with a key: no secret anywhere', async () => {
    // 1. The radio URL (password and token) on the air, pushed to the Telegram-side ingest.
    await waitFor(
      async () => (await telegramIngest.publishers('s')).length === 1,
      20_000,
      'the daemon to publish to the Telegram-side ingest',
    );
    await waitFor(async () => (await telegramStatus()).source?.kind === 'url', 20_000, 'the radio on the air');
    expect(radio.listeners()).toBeGreaterThanOrEqual(1); // the credentials did reach the radio
    await scanProcesses('radio', /-vn -f s16le/);

    // 2. A DJ goes live on Wave's ingest and takes the air.
    dj = startQuietPublisher(`rtmp://127.0.0.1:${rtmpPort}/live/${DJ_KEY}`);
    await dj.published;
    await waitFor(async () => (await telegramStatus()).live, 15_000, 'the DJ on the air');
    await scanProcesses('DJ live', /rtmp:\/\/127\.0\.0\.1:\d+\/live\//);

    // Wave's /stat without the container's secret says nothing; with it, it names streams by publisherId.
    const open = await fetch(`http://127.0.0.1:${httpPort}/stat`);
    const openText = await open.text();
    if (open.status !== 403) problems.push(`nginx /stat without the secret answered ${open.status}`);
    scan('DJ live', 'nginx /stat without the secret', openText);
    const [container] = await docker().listContainers({
      filters: { label: Object.entries(RTMP_LABELS).map(([k, v]) => `${k}=${v}`), name: [CONTAINER] },
    });
    const keys = new RtmpIngestKeys(
      new AppConfig(validateEnvironment({ DATA_DIR: dataDir })),
      new StorageRepository(),
      new FileLockRepository(),
    );
    await keys.load();
    const containerSecret = keys.containerSecret(container.Labels[INGEST_NONCE_LABEL]);
    secrets.push(containerSecret);
    const withSecret = await fetch(`http://127.0.0.1:${httpPort}/stat`, { headers: { authorization: `Bearer ${containerSecret}` } });
    const statXml = await withSecret.text();
    if (withSecret.status !== 200) problems.push(`nginx /stat with the secret answered ${withSecret.status}`);
    if (!statXml.includes(`<name>${keys.publisherIdOf(DJ_KEY)}</name>`))
      problems.push('nginx /stat does not name the DJ by its publisherId');
    scan('DJ live', 'nginx /stat with the secret', statXml.split(containerSecret).join(''));
    scan('DJ live', 'docker inspect', JSON.stringify(await docker().getContainer(container.Id).inspect()));

    // 3. The DJ stops; the radio comes back.
    await dj.stop();
    dj = undefined;
    await waitFor(
      async () => {
        const status = await telegramStatus();
        return !status.live && status.source?.kind === 'url';
      },
      15_000,
      'the radio back on the air',
    );

    // 4. A relay of another ingest whose URL ends in its key.
    relay = startQuietPublisher(`${telegramIngest.rtmpUrl('live')}${RELAY_KEY}`, 'aevalsrc=0.3*sin(2*PI*880*t):s=44100');
    await relay.published;
    const relayed = await api('PUT', '/api/stream/telegram/config', {
      source: 'rtmp',
      relayUrl: `${telegramIngest.rtmpUrl('live')}${RELAY_KEY}`,
    });
    expect(relayed.status, relayed.text).toBe(200);
    await waitFor(async () => (await telegramStatus()).source?.kind === 'rtmp', 15_000, 'the relay on the air');
    await scanProcesses('relay', /-vn -f s16le/);

    // Every GET the API documents, with each query it needs; the logs as the API serves them too.
    const doc = (await api('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const gets = Object.entries(doc.paths)
      .filter(([path, ops]) => 'get' in ops && !path.includes('{'))
      .map(([path]) => path);
    expect(gets.length).toBeGreaterThan(10);
    for (const path of [...gets, '/api/monitoring/logs?service=wave&lines=1000', '/api/monitoring/logs?service=telegram&lines=1000']) {
      const response = await api('GET', path);
      scan('end', `GET ${path}`, response.text);
    }
    for (const file of await readdir(logDir)) scan('end', `${logDir}/${file}`, await readFile(join(logDir, file), 'utf8'));
    for (const file of await readdir(join(home.path, 'logs')).catch(() => []))
      scan('end', `PM2_HOME/logs/${file}`, await readFile(join(home.path, 'logs', file), 'utf8'));
    scan('end', "Wave's stdout and stderr", wave.output());
    expect(events.some((e) => e.event === 'log')).toBe(true);
    expect(events.some((e) => e.event === 'system')).toBe(true);
    scan('end', 'socket events on /admin', JSON.stringify(events));

    expect({ leaks, problems }).toEqual({ leaks: [], problems: [] });
  });
});
