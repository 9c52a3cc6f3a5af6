import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { platform } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { liveAudioArgs } from '../env/media.js';

// Issue 4's "Done when", end to end: the built server, the real Docker engine, real nginx-rtmp,
// and real ffmpeg as the DJ.

const KEY = 'dj-e2e-key-7f3c9a1b2d';
const OTHER_KEY = 'dj-e2e-second-4e5f6a7b';
const CONTAINER = `wave-rtmp-e2e-${process.pid}`;

interface Status {
  state: string;
  publishUrl: string;
  container?: { id: string; name: string; ports: Array<{ containerPort: number; hostPort: number; hostIp: string }> };
  stats?: { publishers: Array<{ stream: string; bitrateIn: number; clients: number; audioCodec?: string }>; clients: number };
}

const docker = () => new Docker({ socketPath: testEnv.dockerHost().replace('unix://', '') });

/** Containers Wave runs for the ingest (its labels), whatever their state. */
async function ingestContainers(): Promise<Docker.ContainerInfo[]> {
  return docker().listContainers({ all: true, filters: { label: ['wave.component=rtmp'], name: [CONTAINER] } });
}

/** Real ffmpeg as a DJ: an audio-only show (cheap on 2 cores) published over RTMP. */
function publish(url: string, seconds: number) {
  const child = spawn('ffmpeg', liveAudioArgs(`sine=frequency=440:sample_rate=44100:duration=${seconds}`, url, { stereo: false }), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** A DJ publishing to `url` shows in Wave's status as the one publisher (so its key was let on air); then it stops. */
async function expectOnAir(wave: WaveServer, url: string): Promise<void> {
  const dj = publish(url, 20);
  try {
    await expect
      .poll(async () => (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body.stats?.publishers.length ?? 0, {
        timeout: 10_000,
        interval: 300,
      })
      .toBe(1);
  } finally {
    dj.child.kill('SIGKILL');
    await dj.exited;
  }
}

describe('RTMP ingest end to end', () => {
  let wave: WaveServer;
  let rtmpPort: number;
  let httpPort: number;
  let callbackPort: number;
  let dataDir: string;
  let logDir: string;

  const startServer = () =>
    startWave({ dataDir, logDir, env: { DOCKER_HOST: testEnv.dockerHost(), RTMP_CALLBACK_PORT: String(callbackPort) } });

  beforeAll(async () => {
    [rtmpPort, httpPort, callbackPort] = [await freePort(), await freePort(), await freePort()];
    dataDir = await makeTempDir('rtmp-data');
    logDir = await makeTempDir('rtmp-logs');
    wave = await startServer();
    const put = await call(wave, 'PUT', '/api/stream/rtmp/config', {
      image: testEnv.rtmpImage(),
      containerName: CONTAINER,
      rtmpPort,
      httpPort,
      streamKeys: [KEY],
    });
    expect(put.status, `${JSON.stringify(put.body)}\n${wave.output().slice(-4000)}`).toBe(200);
  });

  afterAll(async () => {
    if (wave) {
      await call(wave, 'POST', '/api/stream/rtmp/stop').catch(() => undefined);
      await wave.stop();
    }
    for (const c of await ingestContainers()) await docker().getContainer(c.Id).remove({ force: true });
  });

  it('never shows a stream key: config answers masked keys', async () => {
    const { status, body } = await call<{ streamKeys: string[]; rtmpPort: number }>(wave, 'GET', '/api/stream/rtmp/config');
    expect(status).toBe(200);
    expect(body.streamKeys).toEqual([`****${KEY.slice(-4)}`]);
    expect(JSON.stringify(body)).not.toContain(KEY);
    expect(body.rtmpPort).toBe(rtmpPort);
  });

  it('start → a DJ with a valid key is on air with a bitrate → a wrong key is refused → stop leaves no container', async () => {
    const started = await call<Status>(wave, 'POST', '/api/stream/rtmp/start');
    expect(started.status).toBe(200);
    expect(started.body.state).toBe('running');
    expect(started.body.publishUrl).toBe(`rtmp://127.0.0.1:${rtmpPort}/live`);

    const dj = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${KEY}`, 30);
    try {
      // nginx-rtmp reports bandwidth over a few seconds' window.
      await expect
        .poll(async () => (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body.stats?.publishers[0]?.bitrateIn ?? 0, {
          timeout: 20_000,
          interval: 500,
        })
        .toBeGreaterThan(50_000);
      const { body } = await call<Status>(wave, 'GET', '/api/stream/rtmp/status');
      expect(body.stats!.publishers).toEqual([expect.objectContaining({ stream: `****${KEY.slice(-4)}`, audioCodec: 'AAC', clients: 1 })]);
      expect(JSON.stringify(body)).not.toContain(KEY);

      const intruder = publish(`rtmp://127.0.0.1:${rtmpPort}/live/not-a-configured-key`, 10);
      expect(await intruder.exited).not.toBe(0);
      const after = (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body;
      expect(after.stats!.publishers).toHaveLength(1);
    } finally {
      dj.child.kill('SIGKILL');
      await dj.exited;
    }
    const log = await readFile(join(logDir, 'wave.log'), 'utf8');
    expect(log).toContain(`Publisher on air: live/****${KEY.slice(-4)}`);
    expect(log).toContain('Refused a publisher');
    expect(log).not.toContain(KEY);

    const stopped = await call<Status>(wave, 'POST', '/api/stream/rtmp/stop');
    expect(stopped.body.state).toBe('stopped');
    expect(await ingestContainers()).toHaveLength(0);
    expect((await call<Status>(wave, 'POST', '/api/stream/rtmp/stop')).body.state).toBe('stopped');
  });

  it('refuses a publish callback that lacks the ingest secret with 403', async () => {
    await call(wave, 'POST', '/api/stream/rtmp/start');
    // Where Wave says it listens (the bridge address; an engine that made docker0 itself reports no IPAM gateway).
    const listening = [...wave.output().matchAll(/Listening for nginx-rtmp publish callbacks on (http:\/\/\S+?:\d+)/g)].at(-1)?.[1];
    expect(listening).toMatch(new RegExp(`^http://\\d+\\.\\d+\\.\\d+\\.\\d+:${callbackPort}$`));
    // On Linux the bridge is a host interface; Docker Desktop reaches the host's loopback from its VM.
    if (platform() === 'linux') expect(listening).not.toContain('127.0.0.1');
    const form = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `app=live&name=${KEY}&call=publish`,
    };
    for (const path of ['/rtmp/publish', '/rtmp/not-the-secret-0123456789abcdef/publish', '/rtmp/x/publish-done']) {
      expect((await fetch(`${listening}${path}`, form)).status).toBe(403);
    }
  });

  it('20 parallel starts → exactly one container; a foreign unlabelled container is untouched', async () => {
    await call(wave, 'POST', '/api/stream/rtmp/stop');
    const foreign = await docker().createContainer({
      Image: testEnv.rtmpImage(),
      name: `foreign-${process.pid}`,
      Cmd: ['/usr/sbin/nginx', '-g', 'daemon off;'],
    });
    await foreign.start();
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => call<Status>(wave, 'POST', '/api/stream/rtmp/start')));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      const ids = new Set(answers.map((a) => a.body.container?.id));
      expect(ids.size).toBe(1);
      expect(await ingestContainers()).toHaveLength(1);

      await call(wave, 'POST', '/api/stream/rtmp/restart');
      await call(wave, 'POST', '/api/stream/rtmp/stop');
      expect((await foreign.inspect()).State.Running).toBe(true);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('a container name held by a foreign container → 409, and that container is untouched', async () => {
    const name = `foreign-name-${process.pid}`;
    const foreign = await docker().createContainer({ Image: testEnv.rtmpImage(), name, Cmd: ['/usr/sbin/nginx', '-g', 'daemon off;'] });
    try {
      expect((await call(wave, 'PUT', '/api/stream/rtmp/config', { containerName: name })).status).toBe(200);
      const start = await call<{ code: string }>(wave, 'POST', '/api/stream/rtmp/start');
      expect(start.status).toBe(409);
      expect(start.body.code).toBe('container_name_taken');
      expect((await foreign.inspect()).Id).toBe(foreign.id);
    } finally {
      await call(wave, 'PUT', '/api/stream/rtmp/config', { containerName: CONTAINER });
      await foreign.remove({ force: true });
    }
  });

  describe('a host port taken by another program', () => {
    let blocker: Server;
    let takenPort: number;
    beforeAll(async () => {
      takenPort = await freePort();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(takenPort, '0.0.0.0', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('start → 409 naming the port, no container left', async () => {
      expect((await call(wave, 'PUT', '/api/stream/rtmp/config', { rtmpPort: takenPort })).status).toBe(200);
      try {
        const start = await call<{ code: string; message: string[] }>(wave, 'POST', '/api/stream/rtmp/start');
        expect(start.status).toBe(409);
        expect(start.body.code).toBe('port_in_use');
        expect(start.body.message.join(' ')).toContain(String(takenPort));
        expect(await ingestContainers()).toHaveLength(0);
      } finally {
        await call(wave, 'PUT', '/api/stream/rtmp/config', { rtmpPort });
      }
    });
  });

  it('a config update while running → the container serves the new config (new port)', async () => {
    await call(wave, 'POST', '/api/stream/rtmp/start');
    const newPort = await freePort();
    const put = await call<{ rtmpPort: number; streamKeys: string[] }>(wave, 'PUT', '/api/stream/rtmp/config', {
      rtmpPort: newPort,
      streamKeys: [KEY, OTHER_KEY],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.rtmpPort).toBe(newPort);
    expect(put.body.streamKeys).toHaveLength(2);
    const { body } = await call<Status>(wave, 'GET', '/api/stream/rtmp/status');
    expect(body.state).toBe('running');
    expect(body.container!.ports).toContainEqual({ containerPort: newPort, hostPort: newPort, hostIp: '0.0.0.0' });
    expect(await ingestContainers()).toHaveLength(1);

    // The new key publishes on the new port.
    await expectOnAir(wave, `rtmp://127.0.0.1:${newPort}/live/${OTHER_KEY}`);
    rtmpPort = newPort;
  });

  it('an invalid config → error; the file and the running container stay as they were', async () => {
    const before = await readFile(join(dataDir, 'streaming-config.json'), 'utf8');
    const containerBefore = (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body.container!.id;

    const outOfRange = await call<{ message: string[] }>(wave, 'PUT', '/api/stream/rtmp/config', { rtmpPort: 70000 });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.message.join(' ')).toContain('rtmpPort');

    const samePorts = await call<{ code: string }>(wave, 'PUT', '/api/stream/rtmp/config', { httpPort: rtmpPort });
    expect(samePorts.status).toBe(400);
    expect(samePorts.body.code).toBe('invalid_rtmp_config');

    // nginx -t runs in the configured image: an image that is not there is refused before anything changes.
    const noImage = await call<{ code: string; message: string[] }>(wave, 'PUT', '/api/stream/rtmp/config', {
      image: 'wave/rtmp:never-built',
      rtmpPort: await freePort(),
    });
    expect(noImage.status).toBe(503);
    expect(noImage.body.code).toBe('rtmp_image_missing');
    expect(noImage.body.message.join(' ')).toContain('npm run rtmp:image');

    expect(await readFile(join(dataDir, 'streaming-config.json'), 'utf8')).toBe(before);
    const after = (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body;
    expect(after).toMatchObject({ state: 'running', container: { id: containerBefore } });
  });

  it('`docker stop` outside Wave → status stopped within 2 s, and an event is emitted', async () => {
    const { body } = await call<Status>(wave, 'GET', '/api/stream/rtmp/status');
    const id = body.container!.id;
    await docker().getContainer(id).stop({ t: 1 });
    const stoppedAt = Date.now();
    await expect
      .poll(async () => (await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body.state, { timeout: 2000, interval: 100 })
      .toBe('stopped');
    await expect
      .poll(async () => readFile(join(logDir, 'wave.log'), 'utf8'), {
        timeout: Math.max(100, 2000 - (Date.now() - stoppedAt)),
        interval: 100,
      })
      .toContain(`RTMP container ${id.slice(0, 12)} die: stopped`);
  });

  it('Wave restarted while the ingest runs → still running, same container', async () => {
    const started = await call<Status>(wave, 'POST', '/api/stream/rtmp/start');
    expect(started.body.state).toBe('running');
    const id = started.body.container!.id;
    await wave.stop();
    wave = await startServer();
    const { body } = await call<Status>(wave, 'GET', '/api/stream/rtmp/status');
    expect(body).toMatchObject({ state: 'running', container: { id } });
    // Its publish callbacks are served again by the new Wave.
    await expectOnAir(wave, `rtmp://127.0.0.1:${rtmpPort}/live/${KEY}`);
  });

  it('`npm run rtmp` drives the same ingest through the same service code', async () => {
    const runCli = (command: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('npm', ['run', '--silent', 'rtmp', '--', command], {
          env: {
            ...process.env,
            DATA_DIR: dataDir,
            LOG_DIR: logDir,
            DOCKER_HOST: testEnv.dockerHost(),
            RTMP_CALLBACK_PORT: String(callbackPort),
          },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const running = (await call<Status>(wave, 'POST', '/api/stream/rtmp/start')).body;
    const status = await runCli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'running', container: { id: running.container!.id } });

    expect((await runCli('stop')).code).toBe(0);
    expect((await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body.state).toBe('stopped');
    const started = await runCli('start');
    expect(started.code, started.stderr).toBe(0);
    const id = (JSON.parse(started.stdout) as Status).container!.id;
    expect((await call<Status>(wave, 'GET', '/api/stream/rtmp/status')).body).toMatchObject({ state: 'running', container: { id } });
    expect(await ingestContainers()).toHaveLength(1);
  });

  it('Docker unreachable → 503 docker_unavailable, and /health/ready says so; the config is still read and saved', async () => {
    const blind = await startWave({
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', RTMP_CALLBACK_PORT: String(await freePort()) },
    });
    try {
      // The boot log says why no DJ can publish.
      await expect.poll(() => blind.output(), { timeout: 5000 }).toMatch(/The RTMP ingest cannot run: Docker engine is unreachable/);
      expect((await call(blind, 'GET', '/api/stream/rtmp/config')).status).toBe(200);
      const saved = await call<{ streamKeys: string[] }>(blind, 'PUT', '/api/stream/rtmp/config', {
        streamKeys: ['dj-before-engine-4242'],
      });
      expect(saved.status).toBe(200);
      expect(saved.body.streamKeys).toEqual(['****4242']);
      const stored = await readFile(join(blind.dataDir, 'streaming-config.json'), 'utf8');
      expect(JSON.parse(stored).streamKeys).toEqual(['dj-before-engine-4242']);
      const invalid = await call<{ message: string[] }>(blind, 'PUT', '/api/stream/rtmp/config', { rtmpPort: 70000 });
      expect(invalid.status).toBe(400);
      expect(invalid.body.message.join(' ')).toContain('rtmpPort');
      expect(await readFile(join(blind.dataDir, 'streaming-config.json'), 'utf8')).toBe(stored);

      const start = await call<{ code: string; message: string[] }>(blind, 'POST', '/api/stream/rtmp/start');
      expect(start.status).toBe(503);
      expect(start.body.code).toBe('docker_unavailable');
      const ready = await fetch(`${blind.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      // The one error shape, terminus' result under details (foundation e2e checks the whole of it).
      const notReady = (await ready.json()) as { code: string; details: { error: { docker: { status: string; code: string } } } };
      expect(notReady.code).toBe('health_check_failed');
      expect(notReady.details.error.docker).toMatchObject({ status: 'down', code: 'docker_unavailable' });
    } finally {
      await blind.dispose();
    }
    const ready = (await (await fetch(`${wave.baseUrl}/health/ready`)).json()) as { details: { docker: { status: string } } };
    expect(ready.details.docker.status).toBe('up');
  });
});

describe("A station on Wave's defaults, as README's first command (scripts/setup.sh) leaves it", () => {
  it('finds the engine on the default socket and the wave/rtmp:latest image; a DJ with a configured key gets on air', async () => {
    // Where Wave looks when DOCKER_HOST is unset; setup.sh starts an engine there where no init system does.
    const engine = new Docker({ socketPath: '/var/run/docker.sock' });
    await expect(
      engine.ping(),
      'no Docker engine on /var/run/docker.sock: run `bash scripts/setup.sh` (README, first command)',
    ).resolves.toBeTruthy();
    await expect(
      engine.getImage('wave/rtmp:latest').inspect(),
      'wave/rtmp:latest is missing: scripts/setup.sh builds it',
    ).resolves.toBeTruthy();

    // Defaults except what would clash with a station already running on this machine: its ports and name.
    const container = `wave-rtmp-defaults-${process.pid}`;
    const rtmpPort = await freePort();
    const wave = await startWave({ env: { DOCKER_HOST: '', RTMP_CALLBACK_PORT: String(await freePort()) } });
    try {
      const put = await call(wave, 'PUT', '/api/stream/rtmp/config', {
        containerName: container,
        rtmpPort,
        httpPort: await freePort(),
        streamKeys: [KEY],
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const started = await call<Status>(wave, 'POST', '/api/stream/rtmp/start');
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      expect(started.body.state).toBe('running');
      await expectOnAir(wave, `rtmp://127.0.0.1:${rtmpPort}/live/${KEY}`);
    } finally {
      await call(wave, 'POST', '/api/stream/rtmp/stop').catch(() => undefined);
      await wave.dispose();
      await engine
        .getContainer(container)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
});
