import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicStatus, StreamingStatus, SystemEvent } from '../../src/contracts/socket-events.js';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { connectWithFirst, nextEvent } from '../env/sockets.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { liveAudioArgs } from '../env/media.js';

// Issue 5's "Done when": starting/stopping the ingest (real Docker, real nginx-rtmp, a real ffmpeg DJ)
// produces `system` events and status changes on connected socket clients.

const TOKEN = 'realtime-rtmp-e2e-token-0123456789';
const KEY = 'dj-realtime-key-5c2e8d1f';
const CONTAINER = `wave-rtmp-realtime-e2e-${process.pid}`;
const EVENT_TIMEOUT_MS = 20_000;

describe('Real time: RTMP ingest start/stop and a DJ reach socket clients', () => {
  let wave: WaveServer;
  let rtmpPort: number;
  let admin: Socket;
  let listener: Socket;
  const system: SystemEvent[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${wave.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The next `system` event of `type` (already received ones count). */
  const systemEvent = async (type: SystemEvent['type']) => {
    const seen = system.find((event) => event.type === type);
    return seen ?? nextEvent<SystemEvent>(admin, 'system', EVENT_TIMEOUT_MS, (event) => event.type === type);
  };

  beforeAll(async () => {
    const [httpPort, callbackPort] = [await freePort(), await freePort()];
    rtmpPort = await freePort();
    wave = await startWave({
      dataDir: await makeTempDir('realtime-rtmp-data'),
      env: { WAVE_API_TOKEN: TOKEN, DOCKER_HOST: testEnv.dockerHost(), RTMP_CALLBACK_PORT: String(callbackPort) },
    });
    const put = await call('PUT', '/api/stream/rtmp/config', {
      image: testEnv.rtmpImage(),
      containerName: CONTAINER,
      rtmpPort,
      httpPort,
      streamKeys: [KEY],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    admin = (await connectWithFirst<StreamingStatus>(`${wave.socketUrl}/admin`, 'status', { auth: { token: TOKEN } })).socket;
    admin.on('system', (event: SystemEvent) => system.push(event));
    const first = await connectWithFirst<PublicStatus>(`${wave.socketUrl}/`, 'status');
    listener = first.socket;
    expect(first.first.live).toBe(false);
  });

  afterAll(async () => {
    admin?.close();
    listener?.close();
    if (wave) {
      await call('POST', '/api/stream/rtmp/stop').catch(() => undefined);
      await wave.dispose();
    }
    const docker = new Docker({ socketPath: testEnv.dockerHost().replace('unix://', '') });
    const left = await docker.listContainers({ all: true, filters: { name: [CONTAINER] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
  });

  it('start → rtmp.started and a running status; a DJ → publisher connected and the listeners see live; stop → rtmp.stopped', async () => {
    const running = nextEvent<StreamingStatus>(admin, 'status', EVENT_TIMEOUT_MS, (s) => s.rtmp.state === 'running');
    const started = await call('POST', '/api/stream/rtmp/start');
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(await systemEvent('rtmp.started')).toMatchObject({ type: 'rtmp.started', details: { state: 'running' } });
    expect((await running).rtmp).toMatchObject({ state: 'running', port: rtmpPort });

    const live = nextEvent<PublicStatus>(listener, 'status', EVENT_TIMEOUT_MS, (s) => s.live);
    const dj = spawn(
      'ffmpeg',
      liveAudioArgs('sine=frequency=440:sample_rate=44100:duration=30', `rtmp://127.0.0.1:${rtmpPort}/live/${KEY}`, {
        stereo: false,
        bitrate: '96k',
      }),
      { stdio: 'ignore' },
    );
    try {
      const connected = await systemEvent('rtmp.publisher.connected');
      expect(JSON.stringify(connected)).not.toContain(KEY);
      expect(await live).toMatchObject({ live: true });
    } finally {
      dj.kill('SIGTERM');
    }
    await systemEvent('rtmp.publisher.disconnected');

    const stopped = nextEvent<StreamingStatus>(admin, 'status', EVENT_TIMEOUT_MS, (s) => s.rtmp.state === 'stopped');
    expect((await call('POST', '/api/stream/rtmp/stop')).status).toBe(200);
    expect(await systemEvent('rtmp.stopped')).toMatchObject({ type: 'rtmp.stopped' });
    expect((await stopped).rtmp.publishers).toBe(0);
    const metrics = await (await fetch(`${wave.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^wave_rtmp_ingest_up 0$/m);
  });
});
