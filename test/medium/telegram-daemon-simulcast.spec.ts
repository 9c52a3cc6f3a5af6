import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredDestination } from '../../src/telegram/destinations.document.js';
import { KEYED_APP_KEY, RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, ToneListener, writeTelegramConfig } from './telegram-daemon.fixtures.js';

const TELEGRAM_KEY = '1234567890:SimulcastSimulcastSimul';
const BACKUP_KEY = 'backup-key-0001';
const TRACK_SECONDS = 30;

const destination = (id: string, url: string, streamKey: string): StoredDestination => ({
  id,
  name: id,
  url,
  streamKey,
  enabled: true,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

// The station's one encode on several connections: Telegram over RTMPS (ingest A, behind a TLS terminator), a backup
// over plain RTMP (ingest B), then more added while on the air. One failing never touches the others.
describe('Telegram daemon: simulcast to several destinations from one encode (real ffmpeg, local ingests)', () => {
  let a: RtmpIngest;
  let b: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;
  let backupListener: ToneListener;
  let destinations: StoredDestination[];

  const writeDestinations = (list: StoredDestination[]) =>
    writeFile(join(station.dataDir, 'stream-destinations.json'), JSON.stringify({ destinations: list }), { mode: 0o600 });
  const states = (id: string) =>
    daemon.messages.flatMap(({ receivedAt, message }) =>
      message.event === 'destination-state' && message.destination.id === id ? [{ ...message, receivedAt }] : [],
    );
  const publisherIds = async (ingest: RtmpIngest, app: string) => (await ingest.publishers(app)).map((p) => p.publisher.id);

  beforeAll(async () => {
    [a, b] = await Promise.all([startRtmpIngest(), startRtmpIngest()]);
    station = await makeStation(2, TRACK_SECONDS, [
      { hz: 500, amplitude: 0.3 },
      { hz: 900, amplitude: 0.3 },
    ]);
    await writeTelegramConfig(station.dataDir, { serverUrl: a.rtmpsServerUrl, streamKey: TELEGRAM_KEY, crossfadeSec: 0 });
    destinations = [destination('backup', b.rtmpUrl('s'), BACKUP_KEY)];
    await writeDestinations(destinations);
    daemon = await runDaemon(station);
    await waitUntil(
      async () => (await a.publishers('s')).length === 1 && (await b.publishers('s')).length === 1,
      10_000,
      'both to publish',
    );
    backupListener = new ToneListener(`${b.rtmpUrl('s')}${BACKUP_KEY}`);
    await waitUntil(() => backupListener.receivedAny, 10_000, 'the listener to hear the backup');
  });

  afterAll(async () => {
    await backupListener?.stop();
    await daemon?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('pushes one encode to both: the same stream on each ingest, each on its own connection', async () => {
    const [onA] = await a.publishers('s');
    const [onB] = await b.publishers('s');
    expect(onA.name).toBe(TELEGRAM_KEY);
    expect(onB.name).toBe(BACKUP_KEY);
    // One encoder for the station: the daemon spawned no second one.
    expect(daemon.logLines.filter((l) => l.includes('Output #0')).length).toBe(1);
    expect(states('telegram').at(-1)?.destination.state).toBe('live');
    expect(states('backup').at(-1)?.destination.state).toBe('live');
  });

  it('one ingest down for 10 s: the other keeps its session and its audio; the stopped one is live again within 5 s', async () => {
    const backupBefore = await publisherIds(b, 's');
    const downAt = Date.now();
    await a.stopTls();
    await waitUntil(async () => (await a.publishers('s')).length === 0, 5000, 'ingest A to drop the session');
    await new Promise((r) => setTimeout(r, 10_000));
    const backAt = Date.now();
    await a.startTls();
    await waitUntil(async () => (await a.publishers('s')).length === 1, 5000, 'Telegram to publish again');
    const liveAgain = await waitUntil(
      () => states('telegram').find((s) => s.receivedAt > backAt && s.destination.state === 'live'),
      5000,
      'Telegram live again',
    );
    const back = liveAgain.receivedAt - backAt;
    const gaps = backupListener.gaps(100, { from: downAt, to: Date.now() });
    console.info(`[simulcast] A live again ${back} ms after it came back; backup gaps ≥ 100 ms meanwhile: ${JSON.stringify(gaps)}`);
    expect(back).toBeLessThanOrEqual(5000);
    expect(gaps).toEqual([]);
    expect(await publisherIds(b, 's')).toEqual(backupBefore);
    expect(states('backup').filter((s) => s.receivedAt > downAt)).toEqual([]);
    const retrying = states('telegram').find((s) => s.receivedAt > downAt && s.destination.state === 'retrying');
    expect(retrying?.destination.lastError?.code).toBeTruthy();
  });

  it('a destination added on the air is live within 3 s, one with a wrong key shows retrying with why; the others do not reconnect', async () => {
    const before = { a: await publisherIds(a, 's'), b: await publisherIds(b, 's') };
    const addedAt = Date.now();
    destinations = [
      ...destinations,
      destination('second', b.rtmpUrl('live'), 'second-key'),
      destination('keyed', b.rtmpUrl('k'), 'a-wrong-key'),
    ];
    await writeDestinations(destinations);
    daemon.daemon.handleCommand({ command: 'reload-destinations' });
    await waitUntil(async () => (await b.publishers('live')).length === 1, 3000, 'the added destination to publish');
    const live = await waitUntil(() => states('second').find((s) => s.destination.state === 'live'), 3000, 'second live');
    const refused = await waitUntil(() => states('keyed').find((s) => s.destination.state === 'retrying'), 5000, 'keyed retrying');
    console.info(
      `[simulcast] added destination live after ${live.receivedAt - addedAt} ms; wrong key: ${refused.destination.lastError?.code} (${refused.destination.lastError?.message})`,
    );
    expect(live.receivedAt - addedAt).toBeLessThanOrEqual(3000);
    expect(refused.destination.lastError?.code).toBe('publish_refused');
    expect(JSON.stringify(daemon.messages)).not.toContain('a-wrong-key');
    expect(await publisherIds(a, 's')).toEqual(before.a);
    expect(await publisherIds(b, 's')).toEqual(before.b);

    // The right key: that one alone reconnects and goes live.
    destinations = destinations.map((d) => (d.id === 'keyed' ? { ...d, streamKey: KEYED_APP_KEY } : d));
    await writeDestinations(destinations);
    const fixedAt = Date.now();
    daemon.daemon.handleCommand({ command: 'reload-destinations' });
    await waitUntil(() => states('keyed').find((s) => s.receivedAt > fixedAt && s.destination.state === 'live'), 5000, 'keyed live');
    // Removed: closed, the others untouched.
    await writeDestinations(destinations.filter((d) => d.id !== 'second'));
    daemon.daemon.handleCommand({ command: 'reload-destinations' });
    await waitUntil(async () => (await b.publishers('live')).length === 0, 5000, 'the removed destination to stop');
    expect(await publisherIds(a, 's')).toEqual(before.a);
    expect(await publisherIds(b, 's')).toEqual(before.b);
    expect(backupListener.gaps(100)).toEqual([]);
  });

  it('never logs or reports a stream key', () => {
    const logged = daemon.logLines.join('\n') + JSON.stringify(daemon.messages);
    for (const key of [TELEGRAM_KEY, BACKUP_KEY, 'second-key', KEYED_APP_KEY]) expect(logged).not.toContain(key);
  });
});
