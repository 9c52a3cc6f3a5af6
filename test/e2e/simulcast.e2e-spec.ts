import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationView } from '../../src/contracts/destinations.js';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { makeCover, makeTone } from '../env/media.js';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
import { KEYED_APP_KEY, startRtmpIngest, type RtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { startWave, type WaveServer } from '../env/wave-server.js';
import { ToneListener } from '../medium/telegram-daemon.fixtures.js';

// Issue 15 end to end: Wave's API adds destinations, the PM2 daemon pushes its one encode to each; two local ingests
// (A: RTMPS behind a TLS terminator, the Telegram channel; B: plain RTMP) and listeners on them.

const TELEGRAM_KEY = '1234567890:SimulcastE2eSimulcastE2e';
const BACKUP_KEY = 'backup-e2e-key-0001';
const SECOND_KEY = 'second-e2e-key-0002';
const WRONG_KEY = 'wrong-e2e-key-0003';

describe('Simulcast end to end (Wave API → PM2 → daemon → two local ingests)', () => {
  let home: Pm2Home;
  let a: RtmpIngest;
  let b: RtmpIngest;
  let wave: WaveServer;
  let backupListener: ToneListener;
  const bodies: string[] = [];

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const res = await call<T>(wave, method, path, body);
    bodies.push(JSON.stringify(res.body));
    return res;
  };
  const destination = async (id: string) => (await api<DestinationView>('GET', `/api/stream/destinations/${id}`)).body;
  const stateOf = async (id: string) => (await destination(id)).connection?.state;
  const publisherIds = async (ingest: RtmpIngest, app: string) => (await ingest.publishers(app)).map((p) => p.publisher.id);
  let backupId = '';

  beforeAll(async () => {
    [home, a, b] = await Promise.all([createPm2Home(), startRtmpIngest(), startRtmpIngest()]);
    const dataDir = await makeTempDir('simulcast-data');
    const logDir = await makeTempDir('simulcast-logs');
    const media = await makeTempDir('simulcast-media');
    await Promise.all([
      makeTone(join(media, 'a.mp3'), { hz: 500, seconds: 20, stereo: true }),
      makeTone(join(media, 'b.mp3'), { hz: 900, seconds: 20, stereo: true }),
      makeCover(join(media, 'cover.png')),
    ]);
    wave = await startWave({ dataDir, logDir, env: { PM2_HOME: home.path } });
    const config = await api('PUT', '/api/stream/telegram/config', {
      serverUrl: a.rtmpsServerUrl,
      streamKey: TELEGRAM_KEY,
      coverImage: join(media, 'cover.png'),
      crossfadeSec: 0,
    });
    expect(config.status).toBe(200);
    for (const file of ['a.mp3', 'b.mp3']) expect((await api('POST', '/api/tracks', { path: join(media, file) })).status).toBe(201);
    const added = await api<DestinationView>('POST', '/api/stream/destinations', {
      name: 'Backup',
      url: b.rtmpUrl('s'),
      streamKey: BACKUP_KEY,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    backupId = added.body.id;
    expect((await api('POST', '/api/stream/telegram/start')).status).toBe(200);
    await waitUntil(
      async () => (await a.publishers('s')).length === 1 && (await b.publishers('s')).length === 1,
      20_000,
      'both ingests to get the stream',
    );
    backupListener = new ToneListener(`${b.rtmpUrl('s')}${BACKUP_KEY}`);
    await waitUntil(() => backupListener.receivedAny, 10_000, 'the listener to hear the backup');
  });

  afterAll(async () => {
    await backupListener?.stop();
    if (wave) await wave.dispose();
    await home?.dispose();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('both ingests receive the stream; the API shows both live, Telegram first', async () => {
    await waitUntil(async () => (await stateOf('telegram')) === 'live' && (await stateOf(backupId)) === 'live', 10_000, 'both live');
    const [onA] = await a.publishers('s');
    const [onB] = await b.publishers('s');
    expect([onA.name, onB.name]).toEqual([TELEGRAM_KEY, BACKUP_KEY]);
    // The same encode on both: the same codecs.
    expect([onA.videoCodec, onA.audioCodec]).toEqual(['H264', 'AAC']);
    expect([onB.videoCodec, onB.audioCodec]).toEqual(['H264', 'AAC']);
  });

  it('one ingest stopped for 10 s: the other keeps its session and its audio; the stopped one is live again within 5 s', async () => {
    const backupBefore = await publisherIds(b, 's');
    const downAt = Date.now();
    await a.stopTls();
    await waitUntil(async () => ['retrying', 'failed'].includes((await stateOf('telegram')) ?? ''), 15_000, 'Telegram retrying');
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + 10_000 - Date.now())));
    const backAt = Date.now();
    await a.startTls();
    await waitUntil(async () => (await stateOf('telegram')) === 'live', 5000, 'Telegram live again');
    const back = Date.now() - backAt;
    const gaps = backupListener.gaps(100, { from: downAt, to: Date.now() });
    console.info(
      `[simulcast e2e] Telegram live again ${back} ms after its ingest came back; backup gaps ≥ 100 ms: ${JSON.stringify(gaps)}`,
    );
    expect(back).toBeLessThanOrEqual(5000);
    expect(gaps).toEqual([]);
    expect(await publisherIds(b, 's')).toEqual(backupBefore);
    expect((await destination('telegram')).connection.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('a destination added on the air is live within 3 s; a wrong key shows why; the others do not reconnect', async () => {
    const before = { a: await publisherIds(a, 's'), b: await publisherIds(b, 's') };
    const addedAt = Date.now();
    const second = await api<DestinationView>('POST', '/api/stream/destinations', {
      name: 'Second',
      url: b.rtmpUrl('live'),
      streamKey: SECOND_KEY,
    });
    expect(second.status).toBe(201);
    await waitUntil(async () => (await stateOf(second.body.id)) === 'live', 3000, 'the added destination live');
    const liveAfter = Date.now() - addedAt;
    const wrong = await api<DestinationView>('POST', '/api/stream/destinations', {
      name: 'Keyed',
      url: b.rtmpUrl('k'),
      streamKey: WRONG_KEY,
    });
    expect(wrong.status).toBe(201);
    const refused = await waitUntil(
      async () => {
        const view = await destination(wrong.body.id);
        return ['retrying', 'failed'].includes(view.connection.state) ? view : undefined;
      },
      10_000,
      'the wrong key to be refused',
    );
    console.info(
      `[simulcast e2e] added destination live after ${liveAfter} ms; wrong key: ${JSON.stringify(refused.connection.lastError)}`,
    );
    expect(refused.connection.lastError?.code).toBe('publish_refused');
    expect(await publisherIds(a, 's')).toEqual(before.a);
    expect(await publisherIds(b, 's')).toEqual(before.b);

    // Fixed: only that one reconnects. Disabled and deleted: the others untouched.
    expect((await api('PATCH', `/api/stream/destinations/${wrong.body.id}`, { streamKey: KEYED_APP_KEY })).status).toBe(200);
    await waitUntil(async () => (await stateOf(wrong.body.id)) === 'live', 5000, 'the fixed key live');
    expect((await api('POST', `/api/stream/destinations/${second.body.id}/disable`)).status).toBeLessThan(300);
    await waitUntil(async () => (await b.publishers('live')).length === 0, 5000, 'the disabled destination to stop');
    expect(await stateOf(second.body.id)).toBe('disabled');
    expect((await api('DELETE', `/api/stream/destinations/${wrong.body.id}`)).status).toBe(204);
    await waitUntil(async () => (await b.publishers('k')).length === 0, 5000, 'the deleted destination to stop');
    expect(await publisherIds(a, 's')).toEqual(before.a);
    expect(await publisherIds(b, 's')).toEqual(before.b);
    expect(backupListener.gaps(100, { from: addedAt })).toEqual([]);
  });

  it('shows the destinations in the streaming status and metrics, and never a key', async () => {
    const status = await api<{ destinations?: Array<{ id: string }> }>('GET', '/api/streaming/status');
    expect(status.body.destinations?.map((d) => d.id)).toEqual(expect.arrayContaining(['telegram', backupId]));
    const metrics = await (await fetch(`${wave.baseUrl}/metrics`)).text();
    expect(metrics).toContain('wave_destination_up{destination="telegram",name="Telegram"} 1');
    expect(metrics).toContain(`wave_destination_up{destination="${backupId}",name="Backup"} 1`);
    expect(metrics).toMatch(new RegExp(`wave_destination_reconnects_total\\{destination="telegram"[^}]*\\} [1-9]`));
    const everything = bodies.join('\n') + metrics + wave.output();
    for (const key of [TELEGRAM_KEY, BACKUP_KEY, SECOND_KEY, WRONG_KEY, KEYED_APP_KEY]) expect(everything).not.toContain(key);
  });
});
