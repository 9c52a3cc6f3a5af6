import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEvent } from '../../src/contracts/socket-events.js';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { connectSocket } from '../env/sockets.js';
import { waitUntil } from '../env/wait.js';
import { startWave, WaveServer } from '../env/wave-server.js';

const run = promisify(execFile);
/** The one private address this Wave may reach: where the (redirecting) radio listens. */
const ALLOWED = '127.0.0.5';

/** Counts every connection a host receives (TLS or not: a refusal must come before any); answers HTTP with `respond`. */
async function listener(
  host: string,
  respond: () => { status: number; headers?: Record<string, string> },
): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((_req, res) => {
    const answer = respond();
    res.writeHead(answer.status, answer.headers).end();
  });
  server.on('connection', (socket) => hits.push(`connection from ${socket.remoteAddress}`));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

/**
 * Configured URLs (radio, relay, Telegram server) may not reach private, loopback or link-local addresses
 * unless WAVE_OUTBOUND_ALLOW lists them: a literal is refused by the config (400 naming the field), a name
 * resolving to one and every redirect hop by the daemon, as a coded error, before anything is connected.
 */
describe('outbound URLs: private targets refused unless allowed, after DNS and on every redirect', () => {
  let home: Pm2Home;
  let wave: WaveServer;
  let admin: Socket;
  let media: string;
  let inner: Awaited<ReturnType<typeof listener>>;
  let redirecting: Awaited<ReturnType<typeof listener>>;
  let byName: Awaited<ReturnType<typeof listener>>;
  let ingestByName: Awaited<ReturnType<typeof listener>>;
  const errors: ErrorEvent[] = [];

  beforeAll(async () => {
    home = await createPm2Home();
    media = await makeTempDir('outbound-media');
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.03*sin(2*PI*440*t):s=44100:d=4',
      '-ac',
      '2',
      join(media, 'tone.mp3'),
    ]);
    // What a redirect points at (the issue's own case: 127.0.0.2), and what names resolve to here (127.0.0.1).
    inner = await listener('127.0.0.2', () => ({ status: 200, headers: { 'content-type': 'audio/mpeg' } }));
    redirecting = await listener(ALLOWED, () => ({
      status: 302,
      headers: { location: `http://127.0.0.2:${inner.port}/api/monitoring/logs` },
    }));
    byName = await listener('127.0.0.1', () => ({ status: 200, headers: { 'content-type': 'audio/mpeg' } }));
    ingestByName = await listener('127.0.0.1', () => ({ status: 400 }));
    wave = await startWave({ env: { PM2_HOME: home.path, WAVE_OUTBOUND_ALLOW: ALLOWED } });
    admin = await connectSocket(`${wave.socketUrl}/admin`);
    admin.on('error', (event: ErrorEvent) => errors.push(event));
    expect((await call(wave, 'POST', '/api/tracks', { path: join(media, 'tone.mp3') })).status).toBe(201);
  });

  afterAll(async () => {
    admin?.close();
    if (wave) {
      await call(wave, 'POST', '/api/stream/telegram/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    for (const l of [inner, redirecting, byName, ingestByName]) if (l) await new Promise((resolve) => l.server.close(resolve));
  });

  it.each([
    ['radioUrl', 'http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['radioUrl', 'http://127.0.0.2:6970/api/monitoring/logs', 'loopback'],
    ['radioUrl', 'http://2130706434/stream', 'loopback'],
    ['radioUrl', 'https://10.0.0.8/stream.mp3', 'private'],
    ['radioUrl', 'http://[::1]:8000/stream', 'loopback'],
    ['relayUrl', 'rtmp://192.168.1.20:1935/live/key', 'private'],
    ['relayUrl', 'rtmp://0x7f000002/live/key', 'loopback'],
    ['serverUrl', 'rtmps://[fe80::1]/s/', 'link-local'],
    ['serverUrl', 'rtmps://172.16.5.4:443/s/', 'private'],
  ])('config refuses %s %s (400 naming the field)', async (field, url, kind) => {
    const before = await call(wave, 'GET', '/api/stream/telegram/config');
    const res = await call<{ code: string; message: string[] }>(wave, 'PUT', '/api/stream/telegram/config', { [field]: url });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_config');
    expect(res.body.message.join(' ')).toMatch(new RegExp(`^${field} must not point at .*a ${kind}`));
    expect(res.body.message.join(' ')).toContain('WAVE_OUTBOUND_ALLOW');
    expect((await call(wave, 'GET', '/api/stream/telegram/config')).body).toEqual(before.body);
  });

  it('config accepts an allowed private address, and names (judged when resolved)', async () => {
    expect(
      (await call(wave, 'PUT', '/api/stream/telegram/config', { radioUrl: `http://${ALLOWED}:${redirecting.port}/radio.mp3` })).status,
    ).toBe(200);
    expect((await call(wave, 'PUT', '/api/stream/telegram/config', { radioUrl: `http://localhost:${byName.port}/radio.mp3` })).status).toBe(
      200,
    );
  });

  it('the daemon refuses a redirect to a private address (outbound_refused) without connecting to it, and a name resolving to one', async () => {
    const config = await call(wave, 'PUT', '/api/stream/telegram/config', {
      // A name that resolves to loopback: the encoder's publish is refused too, before it connects.
      serverUrl: `rtmps://localhost:${ingestByName.port}/s/`,
      streamKey: '1234567890:OutboundKeyOutboundKeyOut',
      source: 'url',
      radioUrl: `http://${ALLOWED}:${redirecting.port}/radio.mp3`,
    });
    expect(config.status, JSON.stringify(config.body)).toBe(200);
    expect((await call(wave, 'POST', '/api/stream/telegram/start')).status).toBe(200);

    const refused = (pattern: RegExp) => errors.find((e) => e.code === 'outbound_refused' && pattern.test(e.message));
    const redirect = await waitUntil(() => refused(/127\.0\.0\.2/), 20_000, 'the daemon to refuse the redirect to 127.0.0.2');
    expect(redirect.message).toContain('loopback');
    expect(redirecting.hits.length).toBeGreaterThanOrEqual(1); // the allowed hop was asked
    const server = await waitUntil(
      () => refused(/^refused to connect to localhost \(127\.0\.0\.1\)/),
      20_000,
      'the daemon to refuse the Telegram server resolving to 127.0.0.1',
    );
    expect(server.message).toContain('WAVE_OUTBOUND_ALLOW');

    // The radio URL changed live to a name resolving to loopback: refused when resolved.
    expect((await call(wave, 'PUT', '/api/stream/telegram/config', { radioUrl: `http://localhost:${byName.port}/radio.mp3` })).status).toBe(
      200,
    );
    await waitUntil(
      () => errors.find((e) => e.code === 'outbound_refused' && e.message.includes(`localhost:${byName.port}`)),
      20_000,
      'the daemon to refuse the radio name resolving to 127.0.0.1',
    );

    const status = await call<{ lastError: { code: string } | null }>(wave, 'GET', '/api/stream/telegram/status');
    expect(status.body.lastError?.code).toBe('outbound_refused');
    expect(inner.hits).toEqual([]);
    expect(byName.hits).toEqual([]);
    expect(ingestByName.hits).toEqual([]);
  });
});
