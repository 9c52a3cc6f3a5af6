import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ErrorEvent,
  LogEvent,
  PublicStatus,
  StreamingStatus,
  SubscriptionAck,
  SystemEvent,
} from '../../src/contracts/socket-events.js';
import { connectSocket, connectWithFirst, nextEvent } from '../env/sockets.js';
import { runCommand } from '../env/host.js';
import { json } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';

const TOKEN = 'realtime-e2e-token-0123456789';

describe('Real time: Socket.IO gateway, monitoring, metrics', () => {
  let wave: WaveServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    wave = await startWave({ env: { WAVE_API_TOKEN: TOKEN, CORS_ORIGINS: 'https://radio.example' } });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await wave?.dispose();
  });

  const keep = <T extends { socket: Socket } | Socket>(value: T): T => {
    sockets.push('socket' in value ? value.socket : value);
    return value;
  };

  it('listens on SOCKET_PORT, not on the HTTP port', async () => {
    await expect(connectSocket(`${wave.baseUrl}/`, { timeoutMs: 1500 })).rejects.toThrow();
  });

  it('answers CORS on the socket port for CORS_ORIGINS only', async () => {
    const handshake = (origin: string) => fetch(`${wave.socketUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    expect((await handshake('https://radio.example')).headers.get('access-control-allow-origin')).toBe('https://radio.example');
    expect((await handshake('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends a public client the status snapshot on connect and answers status:get', async () => {
    const { socket, first } = keep(await connectWithFirst<PublicStatus>(`${wave.socketUrl}/`, 'status'));
    expect(first).toEqual({
      onAir: false,
      live: false,
      nowPlaying: null,
      listeners: expect.any(Number),
      updatedAt: expect.any(String),
    });
    expect(first.listeners).toBeGreaterThanOrEqual(1);
    const answered = await socket.timeout(3000).emitWithAck('status:get');
    expect(answered).toMatchObject({ onAir: false, live: false });
    // Rooms are an admin feature.
    const refused: SubscriptionAck = await socket.timeout(3000).emitWithAck('subscribe', { rooms: ['log:wave'] });
    expect(refused.ok).toBe(false);
  });

  it('refuses /admin without the token and with a wrong one', async () => {
    await expect(connectSocket(`${wave.socketUrl}/admin`)).rejects.toThrow('unauthorized');
    await expect(connectSocket(`${wave.socketUrl}/admin`, { auth: { token: 'wrong-token-0123456789' } })).rejects.toThrow('unauthorized');
  });

  it('sends an admin client the full status on connect (no secrets) and answers status:get', async () => {
    const { socket, first } = keep(
      await connectWithFirst<StreamingStatus>(`${wave.socketUrl}/admin`, 'status', { auth: { token: TOKEN } }),
    );
    expect(first).toMatchObject({ rtmp: { state: expect.any(String) }, telegram: { state: expect.any(String) }, nowPlaying: null });
    expect(first.listeners.admin).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(first)).not.toContain(TOKEN);
    const answered: StreamingStatus = await socket.timeout(3000).emitWithAck('status:get');
    expect(answered.rtmp).toEqual(first.rtmp);
  });

  it('tails a log live to admin clients that joined its room (log:access, one line per request)', async () => {
    const admin = keep(await connectSocket(`${wave.socketUrl}/admin`, { auth: { token: TOKEN } }));
    const unknown: SubscriptionAck = await admin.timeout(3000).emitWithAck('subscribe', { rooms: ['log:secrets'] });
    expect(unknown).toEqual({ ok: false, error: expect.stringContaining('log:secrets') });
    const joined: SubscriptionAck = await admin.timeout(3000).emitWithAck('subscribe', { rooms: ['log:access'] });
    expect(joined).toEqual({ ok: true, rooms: ['log:access'] });

    const requestId = `tail-${Date.now()}`;
    const line = nextEvent<LogEvent>(admin, 'log', 5000, (event) => event.line.includes(requestId));
    // The tail starts where the file ended when the subscription was acknowledged; every request is logged.
    await fetch(`${wave.baseUrl}/health/live`, { headers: { 'x-request-id': requestId, authorization: `Bearer ${TOKEN}` } });
    const event = await line;
    expect(event.service).toBe('access');
    expect(event.line).not.toContain(TOKEN);

    const left: SubscriptionAck = await admin.timeout(3000).emitWithAck('unsubscribe', { rooms: ['log:access'] });
    expect(left).toEqual({ ok: true, rooms: [] });
  });

  it('pushes a system event to admin clients when a config changes (not to public ones)', async () => {
    const admin = keep(await connectSocket(`${wave.socketUrl}/admin`, { auth: { token: TOKEN } }));
    const listener = keep(await connectSocket(`${wave.socketUrl}/`));
    const leaked: unknown[] = [];
    listener.on('system', (event: unknown) => leaked.push(event));
    const system = nextEvent<SystemEvent>(admin, 'system', 5000, (event) => event.type === 'config.updated');
    const res = await fetch(`${wave.baseUrl}/api/stream/telegram/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ streamKey: '1234567890:secret-stream-key-abcdefgh' }),
    });
    expect(res.status).toBe(200);
    const event = await system;
    expect(event).toEqual({
      type: 'config.updated',
      message: expect.any(String),
      details: { document: 'telegram-config.json' },
      at: expect.any(String),
    });
    expect(JSON.stringify(event)).not.toContain('secret-stream-key');
    expect(leaked).toEqual([]);
  });

  it('serves /metrics without the token as Prometheus text with HTTP, socket and service metrics', async () => {
    const res = await fetch(`${wave.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
    for (const name of [
      'wave_http_request_duration_seconds',
      'wave_socket_clients',
      'wave_rtmp_ingest_up',
      'wave_rtmp_publishers',
      'wave_telegram_stream_connected',
      'wave_telegram_stream_reconnects_total',
      'wave_track_changes_total',
      'wave_process_resident_memory_bytes',
      'wave_nodejs_active_handles',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    const admins = families.get('wave_socket_clients')!.metrics.find((m) => m.labels?.namespace === '/admin');
    expect(Number(admins?.value)).toBeGreaterThanOrEqual(1);
    expect(families.get('wave_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    // The parser keeps no labels on histogram series; the route template is checked on the raw count line.
    expect(text).toMatch(/^wave_http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*\} [1-9]/m);
    // Prometheus' own linter (naming conventions, format) finds nothing: it prints each finding and exits non-zero.
    const promtool = await runCommand('promtool', ['check', 'metrics'], { input: text });
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.code).toBe(0);
  });

  it('serves /api/monitoring/* (reads are open unless WAVE_PROTECT_READS) with bounded, redacted logs', async () => {
    const system = await json(fetch(`${wave.baseUrl}/api/monitoring/system`));
    expect(system.cpu.cores).toBeGreaterThan(0);
    expect(system.disk.path).toBe(wave.dataDir);
    expect(system.disk.totalBytes).toBeGreaterThan(0);
    expect(system.process.memory.rssBytes).toBeGreaterThan(0);

    const services = await json(fetch(`${wave.baseUrl}/api/monitoring/services`));
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['rtmp', 'telegram', 'docker', 'pm2']));

    const logs = await json(fetch(`${wave.baseUrl}/api/monitoring/logs?service=wave&lines=3`));
    expect(logs.file).toBe('wave.log');
    expect(logs.lines).toHaveLength(3);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
    const tooMany = await fetch(`${wave.baseUrl}/api/monitoring/logs?lines=100000`);
    expect(tooMany.status).toBe(400);
    expect((await json(tooMany)).message).toEqual([expect.stringContaining('lines')]);

    const summary = await json(fetch(`${wave.baseUrl}/api/monitoring/metrics`));
    expect(summary.http.requests).toBeGreaterThan(0);
    expect(summary.sockets.admin).toBeGreaterThanOrEqual(1);
  });

  it('documents the monitoring and streaming routes in OpenAPI', async () => {
    const doc = await json(fetch(`${wave.baseUrl}/api/docs-json`));
    for (const path of [
      '/api/monitoring/system',
      '/api/monitoring/services',
      '/api/monitoring/logs',
      '/api/monitoring/metrics',
      '/api/streaming/status',
      '/metrics',
    ]) {
      expect(doc.paths[path]?.get, path).toBeDefined();
    }
    expect(doc.paths['/api/monitoring/system'].get.responses['200'].content['application/json'].schema.$ref).toContain('SystemInfoDto');
  });

  it('shuts down promptly with socket clients connected', async () => {
    const t0 = Date.now();
    const code = await wave.stop();
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('Real time: Wave’s own failures reach /admin as error events', () => {
  it('sends an error event (source wave, with the code and request id) when a request fails on Wave’s side', async () => {
    // An engine that is certainly not there: starting the ingest must fail with 503 docker_unavailable.
    const wave = await startWave({ env: { DOCKER_HOST: 'unix:///nonexistent/wave-e2e-docker.sock' } });
    const admin = await connectSocket(`${wave.socketUrl}/admin`);
    try {
      const error = nextEvent<ErrorEvent>(admin, 'error', 5000, (event) => event.source === 'wave');
      const res = await fetch(`${wave.baseUrl}/api/stream/rtmp/start`, { method: 'POST', headers: { 'x-request-id': 'failing-start' } });
      expect(res.status).toBe(503);
      expect(await error).toEqual({
        level: 'error',
        source: 'wave',
        code: 'docker_unavailable',
        message: expect.stringMatching(/^POST \/api\/stream\/rtmp\/start answered 503: .*\(request failing-start\)$/),
        at: expect.any(String),
      });
    } finally {
      admin.close();
      await wave.dispose();
    }
  });
});
