import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookBody, WebhookDeliveryView, WebhookView } from '../../src/contracts/webhooks.js';
import { freePort, makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { liveAudioArgs, makeCover, makeTone } from '../env/media.js';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
import { startRtmpIngest, type RtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { startWave, type WaveServer } from '../env/wave-server.js';

// Issue 15 end to end: a local receiver subscribes to the station's events; the real daemon (PM2) changes tracks and
// relays a DJ who publishes to a local ingest; every delivery is signed, and none is lost while the receiver is down.

const KEY = '1234567890:WebhooksE2eWebhooksE2eWe';
const TRACK_SECONDS = 3;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on loopback that can go down and come back on the same port. */
class Receiver {
  readonly received: Received[] = [];
  private server: Server | null = null;
  constructor(readonly port: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
  start(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        res.writeHead(204).end();
      });
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }
  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
  bodies(): WebhookBody[] {
    return this.received.map((r) => JSON.parse(r.body) as WebhookBody);
  }
}

describe('Webhooks end to end (Wave → a local receiver; the real daemon under PM2)', () => {
  let home: Pm2Home;
  let ingest: RtmpIngest;
  let wave: WaveServer;
  let receiver: Receiver;
  let webhook: WebhookView;
  let dj: ChildProcess | null = null;
  const relayUrl = () => `${ingest.rtmpUrl('live')}dj-relay`;

  beforeAll(async () => {
    [home, ingest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    const dataDir = await makeTempDir('webhooks-data');
    const logDir = await makeTempDir('webhooks-logs');
    const media = await makeTempDir('webhooks-media');
    await Promise.all([
      makeTone(join(media, 'a.mp3'), { hz: 500, seconds: TRACK_SECONDS, stereo: true }),
      makeTone(join(media, 'b.mp3'), { hz: 900, seconds: TRACK_SECONDS, stereo: true }),
      makeCover(join(media, 'cover.png')),
    ]);
    receiver = new Receiver(await freePort());
    await receiver.start();
    wave = await startWave({ dataDir, logDir, env: { PM2_HOME: home.path } });
    expect(
      (
        await call(wave, 'PUT', '/api/stream/telegram/config', {
          serverUrl: ingest.rtmpsServerUrl,
          streamKey: KEY,
          coverImage: join(media, 'cover.png'),
          crossfadeSec: 0,
          source: 'rtmp',
          relayUrl: relayUrl(),
        })
      ).status,
    ).toBe(200);
    for (const file of ['a.mp3', 'b.mp3']) expect((await call(wave, 'POST', '/api/tracks', { path: join(media, file) })).status).toBe(201);
  });

  afterAll(async () => {
    dj?.kill('SIGKILL');
    if (wave) await wave.dispose();
    await home?.dispose();
    await ingest?.stop();
    await receiver?.stop();
  });

  const verify = (r: Received) => new Webhook(webhook.secret).verify(r.body, r.headers as Record<string, string>) as WebhookBody;

  it('refuses bad subscriptions with 400 naming the field, and creates none', async () => {
    for (const [body, field] of [
      [{ url: 'ftp://127.0.0.1/x', events: ['track.changed'] }, 'url'],
      [{ url: receiver.url, events: ['track.exploded'] }, 'events'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ url: receiver.url, events: ['track.changed'], secret: 'short' }, 'secret'],
      [{ url: receiver.url, events: ['track.changed'], bogus: 1 }, 'bogus'],
    ] as const) {
      const res = await call<{ message: string[] }>(wave, 'POST', '/api/webhooks', body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(JSON.stringify(res.body.message)).toContain(field);
    }
    expect((await call<WebhookView[]>(wave, 'GET', '/api/webhooks')).body).toEqual([]);
  });

  it('subscribes, shows the secret once, and delivers a signed ping', async () => {
    const created = await call<WebhookView>(wave, 'POST', '/api/webhooks', {
      url: receiver.url,
      events: ['track.changed', 'dj.live', 'dj.ended', 'stream.up'],
      description: 'e2e receiver',
    });
    expect(created.status).toBe(201);
    webhook = created.body;
    expect(webhook.secret).toMatch(/^whsec_/);
    const listed = (await call<WebhookView>(wave, 'GET', `/api/webhooks/${webhook.id}`)).body;
    expect(listed.secret).not.toBe(webhook.secret);
    expect(JSON.stringify(listed)).not.toContain(webhook.secret.slice(6, 20));
    expect((await call(wave, 'POST', `/api/webhooks/${webhook.id}/test`)).status).toBe(202);
    const ping = await waitUntil(() => receiver.received.find((r) => r.body.includes('"ping"')), 5000, 'the ping');
    expect(verify(ping)).toMatchObject({ type: 'ping', data: { webhookId: webhook.id } });
    // A tampered body does not verify.
    expect(() => new Webhook(webhook.secret).verify(ping.body.replace('ping', 'pong'), ping.headers as Record<string, string>)).toThrow();
  });

  it('delivers track changes, the stream going up, and a DJ hand-over (live, then ended), all signed', async () => {
    expect((await call(wave, 'POST', '/api/stream/telegram/start')).status).toBe(200);
    await waitUntil(() => receiver.bodies().filter((b) => b.type === 'track.changed').length >= 2, 20_000, 'two track changes');
    await waitUntil(() => receiver.bodies().some((b) => b.type === 'stream.up'), 10_000, 'stream.up');
    dj = spawn('ffmpeg', liveAudioArgs('sine=f=1500:r=44100', relayUrl()), { stdio: 'ignore' });
    await waitUntil(() => receiver.bodies().some((b) => b.type === 'dj.live'), 20_000, 'dj.live');
    dj.kill('SIGTERM');
    dj = null;
    await waitUntil(() => receiver.bodies().some((b) => b.type === 'dj.ended'), 20_000, 'dj.ended');
    for (const r of receiver.received) expect(verify(r).id).toBe(r.headers['webhook-id']);
    const types = receiver.bodies().map((b) => b.type);
    expect(types.indexOf('dj.live')).toBeLessThan(types.indexOf('dj.ended'));
    const up = receiver.bodies().find((b) => b.type === 'stream.up')!;
    expect(up.data).toMatchObject({ destination: 'telegram', state: 'live' });
    expect(JSON.stringify(receiver.bodies())).not.toContain(KEY);
  });

  it('a receiver down for 10 s gets the retried deliveries once back, in order, none lost', async () => {
    await receiver.stop();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const seenBefore = receiver.received.length;
    await receiver.start();
    const backAt = Date.now();
    // Every delivery made while it was down arrives; the log says delivered for all.
    const log = async () => (await call<WebhookDeliveryView[]>(wave, 'GET', `/api/webhooks/${webhook.id}/deliveries?limit=200`)).body;
    const missed = (await log()).filter((d) => Date.parse(d.createdAt) >= downAt && Date.parse(d.createdAt) < backAt);
    expect(missed.length).toBeGreaterThanOrEqual(2); // tracks changed every 3 s meanwhile
    await waitUntil(
      async () => (await log()).filter((d) => missed.some((m) => m.id === d.id)).every((d) => d.status === 'delivered'),
      40_000,
      'the missed deliveries to be delivered',
    );
    // The one at the head was tried while the receiver was down, then again; the later ones waited behind it, in order.
    expect(Math.max(...(await log()).map((d) => d.attempts))).toBeGreaterThanOrEqual(2);
    expect((await log()).every((d) => d.status !== 'failed')).toBe(true);
    const after = receiver.received.slice(seenBefore).map((r) => verify(r).id);
    const expectedOrder = [...missed].reverse().map((d) => d.id); // the log is newest first
    expect(after.filter((id) => expectedOrder.includes(id))).toEqual(expectedOrder);
    const allIds = receiver.received.map((r) => r.headers['webhook-id']);
    const delivered = (await log()).filter((d) => d.status === 'delivered').map((d) => d.id);
    for (const id of delivered) expect(allIds).toContain(id);
    // /metrics counted the attempts: every delivery, and the retries while it was down.
    const metrics = await (await fetch(`${wave.baseUrl}/metrics`)).text();
    const total = (outcome: string) =>
      [...metrics.matchAll(new RegExp(`^wave_webhook_deliveries_total\\{type="[^"]+",outcome="${outcome}"\\} (\\d+)$`, 'gm'))].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    expect(total('delivered')).toBeGreaterThanOrEqual(delivered.length);
    expect(total('retrying')).toBeGreaterThanOrEqual(1);
    console.info(
      `[webhooks] ${missed.length} deliveries made while the receiver was down; all delivered within ${Date.now() - backAt} ms of its return, in order`,
    );
  });
});
