import 'reflect-metadata';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { TestingModule } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeRepositories, newFakeRepositories, newTestService, RTMP_TEST_PROVIDERS } from '../../test/factory.js';
import type { FakeDockerRepository } from '../../test/fakes/docker.repository.fake.js';
import type { FakeNginxStatRepository, FakeStream } from '../../test/fakes/nginx-stat.repository.fake.js';
import type { FakePm2 } from '../../test/fakes/pm2.repository.fake.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { WaveEvents } from '../bus/wave-events.js';
import { RtmpIngestKeys } from '../rtmp/ingest-keys.js';
import { RTMP_CONFIG_DOCUMENT } from '../rtmp/rtmp-config.document.js';
import { LiveIngest } from '../rtmp/live-ingest.js';
import { RtmpService } from '../rtmp/rtmp.service.js';
import { TrackLibrary } from '../tracks/track-library.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import type { DaemonSourceKind } from '../contracts/daemon-messages.js';
import {
  onDaemonStarted,
  onDjPublished,
  onDjUnpublished,
  onReleaseRequested,
  onSourceConfigured,
  onTakeRequested,
  overrideInForce,
  type TakeoverContext,
} from './live-takeover.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramConfigUpdateService } from './telegram-config-update.service.js';
import { TelegramReportListener } from './telegram-report.listener.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';
import { NowPlayingService } from './now-playing.service.js';

const TELEGRAM_KEY = '1234567890:AbCdEfGhIjKlMnOpQrStUvWx';
const DJ_KEY = 'dj-anna-7f3c9a1b2d';
const OTHER_DJ_KEY = 'dj-boris-0e1f2a3b4c';
const IMAGE = 'wave/rtmp:latest';

/** A playlist with a track in it, so the daemon may start. */
class OneTrackLibrary extends TrackLibrary {
  async publishPlaylist() {
    return 1;
  }
}

describe('live takeover decisions', () => {
  const context = (over: Partial<TakeoverContext> = {}): TakeoverContext => ({
    enabled: true,
    configuredSource: 'playlist',
    daemonRunning: true,
    livePublishers: [],
    onAir: 'playlist',
    ...over,
  });

  it('gives the air to the first DJ live, only with the flag on and the stream running', () => {
    expect(onDjPublished(context(), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished(context({ configuredSource: 'url', onAir: 'url' }), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    // /stat lists an earlier publisher (its switch not heard yet): it keeps its place.
    expect(onDjPublished(context({ livePublishers: ['a'] }), 'b')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished(context({ onAir: null }), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished(context({ enabled: false }), 'a')).toMatchObject({ action: 'none', reason: 'live takeover is off' });
    expect(onDjPublished(context({ daemonRunning: false }), 'a')).toMatchObject({ action: 'none' });
    expect(onDjPublished(context({ livePublishers: ['a'], onAir: 'rtmp' }), 'b')).toMatchObject({
      action: 'none',
      reason: 'a DJ has the air',
    });
  });

  it('hands the air on only when /stat no longer lists the stream that stopped', () => {
    expect(onDjUnpublished(context({ onAir: 'rtmp' }), 'a')).toEqual({ action: 'hand-back' });
    // A refused duplicate publisher of the live stream "stops": the DJ is still live.
    expect(onDjUnpublished(context({ livePublishers: ['a'], onAir: 'rtmp' }), 'a')).toMatchObject({
      action: 'none',
      reason: 'a publisher of this stream is still live',
    });
    // Another DJ is still live: the air is (or stays) theirs.
    expect(onDjUnpublished(context({ livePublishers: ['b'], onAir: 'rtmp' }), 'a')).toEqual({ action: 'take-air', publisherId: 'b' });
    // Nothing reported yet (Wave restarted mid-show): hand back; the daemon ignores a switch to what it plays.
    expect(onDjUnpublished(context({ onAir: null }), 'a')).toEqual({ action: 'hand-back' });
    expect(onDjUnpublished(context({ onAir: 'playlist' }), 'a')).toMatchObject({ action: 'none', reason: 'no DJ was on the air' });
    expect(onDjUnpublished(context({ daemonRunning: false, onAir: 'rtmp' }), 'a')).toMatchObject({ action: 'none' });
  });

  it('holds a configured source change while a DJ is on the air; a daemon start takes a DJ already live', () => {
    expect(onSourceConfigured(context({ livePublishers: ['a'], onAir: 'rtmp' }))).toMatchObject({ action: 'none' });
    expect(onSourceConfigured(context({ livePublishers: ['a'], onAir: 'playlist' }))).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onSourceConfigured(context({ livePublishers: ['a'], onAir: 'rtmp', enabled: false }))).toEqual({ action: 'hand-back' });
    expect(onDaemonStarted(context({ livePublishers: ['a', 'b'] }), false)).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDaemonStarted(context({ livePublishers: ['a'], enabled: false }), false)).toMatchObject({ action: 'none' });
    expect(onDaemonStarted(context(), true)).toEqual({ action: 'hand-back' });
  });

  it('decides with who is live unknown (the ingest cannot be asked) as with nobody live: a source change goes on the air', () => {
    const unknown = (over: Partial<TakeoverContext> = {}) => context({ livePublishers: null, ...over });
    // The case: streaming, the engine down, the operator picks the radio URL.
    expect(onSourceConfigured(unknown({ configuredSource: 'url', onAir: 'playlist' }))).toEqual({ action: 'hand-back' });
    expect(onSourceConfigured(unknown({ configuredSource: 'playlist', onAir: 'url' }))).toEqual({ action: 'hand-back' });
    expect(onSourceConfigured(unknown({ onAir: 'rtmp' }))).toEqual({ action: 'hand-back' });
    expect(onSourceConfigured(unknown({ daemonRunning: false }))).toMatchObject({ action: 'none' });
    // The publish callback itself says who went live.
    expect(onDjPublished(unknown(), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjUnpublished(unknown({ onAir: 'rtmp' }), 'a')).toEqual({ action: 'hand-back' });
    expect(onDaemonStarted(unknown(), true)).toEqual({ action: 'hand-back' });
    expect(onDaemonStarted(unknown(), false)).toMatchObject({ action: 'none' });
  });

  it('unknown decides exactly as an empty ingest, over every combination of the other facts', () => {
    const sources = ['playlist', 'url', 'rtmp'] as const;
    const onAirs = [null, 'playlist', 'url', 'rtmp'] as const;
    let rows = 0;
    for (const enabled of [true, false])
      for (const configuredSource of sources)
        for (const daemonRunning of [true, false])
          for (const onAir of onAirs) {
            const facts = { enabled, configuredSource, daemonRunning, onAir };
            const none = context({ ...facts, livePublishers: [] });
            const unknown = context({ ...facts, livePublishers: null });
            const row = JSON.stringify(facts);
            expect(onSourceConfigured(unknown), row).toEqual(onSourceConfigured(none));
            expect(onDjPublished(unknown, 'a'), row).toEqual(onDjPublished(none, 'a'));
            expect(onDjUnpublished(unknown, 'a'), row).toEqual(onDjUnpublished(none, 'a'));
            for (const relays of [true, false]) expect(onDaemonStarted(unknown, relays), row).toEqual(onDaemonStarted(none, relays));
            rows += 1;
          }
    expect(rows).toBe(2 * 3 * 2 * 4);
  });
});

/** The configured HTTP port, where the fake nginx serves /stat. */
const STAT_PORT = 18080;

describe('operator take and release decisions', () => {
  const context = (over: Partial<TakeoverContext> = {}): TakeoverContext => ({
    enabled: false,
    configuredSource: 'playlist',
    daemonRunning: true,
    livePublishers: ['a'],
    onAir: 'playlist',
    ...over,
  });
  const take = { action: 'take', publisherId: 'a' } as const;
  const release = { action: 'release', publisherId: 'a' } as const;

  it.each([
    [
      'the first DJ live, takeover off',
      context({ livePublishers: ['a', 'b'] }),
      { ok: true, override: take, decision: { action: 'take-air', publisherId: 'a' } },
    ],
    [
      'a released DJ back (a take ends the release)',
      context({ override: release }),
      { ok: true, override: take, decision: { action: 'take-air', publisherId: 'a' } },
    ],
    [
      'the DJ already taken, again',
      context({ override: take, onAir: 'rtmp' }),
      { ok: true, override: take, decision: { action: 'take-air', publisherId: 'a' } },
    ],
    ['nobody live', context({ livePublishers: [] }), { ok: false, code: 'no_live_dj' }],
    ['who is live unknown', context({ livePublishers: null }), { ok: false, code: 'no_live_dj' }],
    ['no daemon', context({ daemonRunning: false }), { ok: false, code: 'telegram_not_running' }],
  ])('take: %s', (_, ctx, expected) => {
    expect(onTakeRequested(ctx)).toMatchObject(expected);
  });

  it.each([
    [
      'the taken DJ, back to the programme',
      context({ override: take, onAir: 'rtmp' }),
      { ok: true, override: release, decision: { action: 'hand-back' } },
    ],
    [
      'the takeover DJ, back to the programme',
      context({ enabled: true, onAir: 'rtmp' }),
      { ok: true, override: release, decision: { action: 'hand-back' } },
    ],
    [
      'the takeover DJ, the next DJ live takes the air',
      context({ enabled: true, onAir: 'rtmp', livePublishers: ['a', 'b'] }),
      { ok: true, override: release, decision: { action: 'take-air', publisherId: 'b' } },
    ],
    ['nobody on the air', context({ enabled: true }), { ok: false, code: 'no_live_dj' }],
    ['nobody live', context({ enabled: true, onAir: 'rtmp', livePublishers: [] }), { ok: false, code: 'no_live_dj' }],
    ['the relay the operator configured', context({ configuredSource: 'rtmp', onAir: 'rtmp' }), { ok: false, code: 'no_live_dj' }],
    ['no daemon', context({ daemonRunning: false, onAir: 'rtmp' }), { ok: false, code: 'telegram_not_running' }],
  ])('release: %s', (_, ctx, expected) => {
    expect(onReleaseRequested(ctx)).toMatchObject(expected);
  });

  it('a released DJ stays off through nginx re-reporting the session, and the rules go on for everyone else', () => {
    const released = context({ enabled: true, override: release });
    expect(onDjPublished(released, 'a')).toMatchObject({ action: 'none', reason: 'that DJ was released until they publish again' });
    expect(onDjUnpublished(released, 'a')).toMatchObject({ action: 'none' }); // still listed: the duplicate's publish_done
    expect(onSourceConfigured(released)).toEqual({ action: 'hand-back' });
    expect(onDaemonStarted(released, false)).toMatchObject({ action: 'none' });
    expect(onDjPublished({ ...released, livePublishers: ['a', 'b'] }, 'b')).toEqual({ action: 'take-air', publisherId: 'b' });
  });

  it('a taken DJ keeps the air with the takeover off, and hands back when they stop', () => {
    const taken = context({ override: take, onAir: 'rtmp' });
    expect(onSourceConfigured(taken)).toMatchObject({ action: 'none' });
    expect(onDaemonStarted({ ...taken, onAir: null }, false)).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished({ ...taken, livePublishers: ['a', 'b'] }, 'b')).toMatchObject({ action: 'none', reason: 'a DJ has the air' });
    // The session is gone, so the override is no longer in force (overrideInForce): no override in the context.
    expect(onDjUnpublished(context({ livePublishers: [], onAir: 'rtmp' }), 'a')).toEqual({ action: 'hand-back' });
  });

  it.each([
    ['the same session listed', [{ publisherId: 'a', clientId: 7 }], true],
    ['a new session of the same publisher', [{ publisherId: 'a', clientId: 9 }], false],
    ['the publisher gone', [{ publisherId: 'b', clientId: 7 }], false],
    ['nobody live', [], false],
    ['the ingest cannot be asked', null, true],
  ])('an override of session a#7 is in force with %s', (_, sessions, expected) => {
    expect(overrideInForce({ publisherId: 'a', clientId: 7 }, sessions)).toBe(expected);
  });
});

describe("TelegramSourceService (live takeover from nginx /stat and the daemon's report; fake PM2 and Docker)", () => {
  let dataDir: string;
  let moduleRef: TestingModule;
  let fakes: FakeRepositories;
  let pm2: FakePm2;
  let docker: FakeDockerRepository;
  let nginxStat: FakeNginxStatRepository;
  /** Stream keys publishing to the ingest, with when each started. */
  const live = new Map<string, FakeStream>();
  let events: WaveEvents;
  let stream: TelegramStreamService;
  let configUpdates: TelegramConfigUpdateService;
  const emitted: Array<[string, unknown]> = [];
  const logged: string[] = [];

  const commands = () => pm2.sent.map(({ data }) => data as { command: string; source?: string; url?: string });
  // nginx knows a DJ's stream by its publisherId (the publish callback renames it): the relay's input has no key.
  const publisherIdOf = (key: string) => moduleRef.get(RtmpIngestKeys).publisherIdOf(key);
  const djInput = (key: string) => ({
    command: 'switch-source',
    source: 'rtmp',
    url: `rtmp://127.0.0.1:1935/live/${publisherIdOf(key)}`,
    ingest: true,
  });
  const event = (key: string) => ({
    application: 'live',
    stream: `****${key.slice(-4)}`,
    publisherId: publisherIdOf(key),
    at: new Date().toISOString(),
  });
  /** nginx's on_publish comes before /stat lists the publisher; on_publish_done after it is gone. */
  const goLive = (key: string) => {
    events.emit('rtmp.publish.started', event(key));
    live.set(key, { since: Date.now() });
  };
  const leave = (key: string) => {
    live.delete(key);
    events.emit('rtmp.publish.stopped', event(key));
  };
  /** The daemon reports what it has on air, as it does once the audio is heard. */
  const heard = (source: DaemonSourceKind, label: string = source) =>
    pm2.report({ event: 'source-changed', source, label, at: new Date().toISOString() });
  /** Every decision the events so far started is done (awaited, never slept on). */
  const decided = () => moduleRef.get(TelegramSourceService).idle();

  /** Boots the Wave under test (again, for a restarted Wave: same data, PM2 and Docker). */
  async function boot(): Promise<void> {
    const ctx = await newTestService(TelegramStreamService, {
      dataDir,
      fakes,
      env: { WAVE_OUTBOUND_ALLOW: '127.0.0.1' },
      logger: {
        log: (m: string) => logged.push(m),
        warn: (m: string) => logged.push(m),
        error: (m: string) => logged.push(m),
        debug: (m: string) => logged.push(m),
        verbose: () => {},
      },
      providers: [
        ...RTMP_TEST_PROVIDERS,
        RtmpService,
        { provide: LiveIngest, useExisting: RtmpService },
        MediaProbeService,
        TelegramConfigService,
        TelegramReportListener,
        TelegramConfigUpdateService,
        TelegramSourceService,
        NowPlayingService,
        { provide: TrackLibrary, useClass: OneTrackLibrary },
      ],
    });
    moduleRef = ctx.module;
    moduleRef.get(EventEmitter2).onAny((name, payload) => emitted.push([String(name), payload]));
    events = moduleRef.get(WaveEvents);
    stream = moduleRef.get(TelegramStreamService);
    configUpdates = moduleRef.get(TelegramConfigUpdateService);
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-takeover-spec-'));
    fakes = newFakeRepositories();
    ({ pm2, docker, nginxStat } = fakes);
    docker.images.add(IMAGE);
    live.clear();
    nginxStat.serve(STAT_PORT, { streams: live });
    await boot();
    const store = moduleRef.get(DocumentStore);
    await store.update(RTMP_CONFIG_DOCUMENT, (doc) => ({
      ...doc,
      image: IMAGE,
      rtmpPort: 1935,
      httpPort: STAT_PORT,
      streamKeys: [DJ_KEY, OTHER_DJ_KEY],
    }));
    await moduleRef.get(RtmpService).start();
    await moduleRef.get(TelegramConfigService).update({ serverUrl: 'rtmps://127.0.0.1:1936/s/', streamKey: TELEGRAM_KEY });
    emitted.length = 0;
    logged.length = 0;
  });

  afterEach(async () => {
    await moduleRef.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startDaemon(): Promise<void> {
    await stream.start();
    pm2.report({ event: 'daemon-started', pid: 4242, at: new Date().toISOString(), source: 'playlist' });
    heard('playlist');
    await decided(); // the decision on the daemon's start has read /stat
  }

  it('switches the playing daemon to the DJ on publish and back to the playlist on unpublish; the key goes only over IPC', async () => {
    await startDaemon();
    expect(emitted.some(([n]) => n === 'telegram.source')).toBe(true);
    expect(commands()).toEqual([]);

    goLive(DJ_KEY);
    await decided();
    expect(commands()).toEqual([djInput(DJ_KEY)]);
    heard('rtmp', 'rtmp://127.0.0.1:1935/live/****');
    expect(await stream.status()).toMatchObject({ live: true, source: { kind: 'rtmp', label: 'rtmp://127.0.0.1:1935/live/****' } });
    expect(emitted).toContainEqual(['telegram.source', expect.objectContaining({ source: 'rtmp', previous: 'playlist', live: true })]);
    expect(emitted).toContainEqual(['telegram.status', expect.objectContaining({ source: 'rtmp', reason: 'DJ on air' })]);

    leave(DJ_KEY);
    await decided();
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' });
    heard('playlist');
    expect(await stream.status()).toMatchObject({ live: false, source: { kind: 'playlist' } });
    expect(commands()).toHaveLength(2);

    expect(JSON.stringify(emitted)).not.toContain(DJ_KEY);
    expect(logged.join('\n')).not.toContain(DJ_KEY);
  });

  it('take puts a live DJ on the air with the takeover off; release hands back and keeps that session off, through a Wave restart', async () => {
    await moduleRef.get(TelegramConfigService).update({ liveTakeover: false });
    await startDaemon();
    const sources = () => moduleRef.get(TelegramSourceService);
    await expect(sources().take()).rejects.toMatchObject({ code: 'no_live_dj', status: 409 });

    goLive(DJ_KEY);
    await decided();
    expect(commands()).toEqual([]);
    expect(await sources().take()).toMatchObject({ action: 'take', publisherId: publisherIdOf(DJ_KEY) });
    expect(commands()).toEqual([djInput(DJ_KEY)]);
    heard('rtmp');
    expect(emitted).toContainEqual(['telegram.live.override', expect.objectContaining({ action: 'take' })]);

    expect(await sources().release()).toMatchObject({ action: 'release', publisherId: publisherIdOf(DJ_KEY) });
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' });
    heard('playlist');
    await expect(sources().release()).rejects.toMatchObject({ code: 'no_live_dj' });

    // The takeover turned on, nginx re-reporting the session, a restarted Wave: the released DJ stays off.
    await configUpdates.update({ liveTakeover: true });
    events.emit('rtmp.publish.started', event(DJ_KEY));
    events.emit('rtmp.publish.stopped', event(DJ_KEY));
    await decided();
    await moduleRef.close();
    await boot();
    pm2.report({ event: 'daemon-started', pid: 4242, at: new Date().toISOString(), source: 'playlist' });
    heard('playlist');
    await decided();
    expect(commands().filter((c) => c.source === 'rtmp')).toHaveLength(1);
    expect(await sources().overrideView()).toMatchObject({ action: 'release' });

    // The DJ publishes again (a new session, a new client id): the release ends and the takeover gives them the air.
    live.delete(DJ_KEY);
    events.emit('rtmp.publish.stopped', event(DJ_KEY));
    events.emit('rtmp.publish.started', event(DJ_KEY));
    live.set(DJ_KEY, { since: Date.now(), clientId: 99 });
    await decided();
    expect(commands().at(-1)).toEqual(djInput(DJ_KEY));
    expect(await sources().overrideView()).toBeNull();
    expect(JSON.stringify(emitted)).not.toContain(DJ_KEY);
  });

  it('a refused duplicate publisher of the live key (on_publish, then on_publish_done) leaves the DJ on the air', async () => {
    await startDaemon();
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toHaveLength(1);
    heard('rtmp');

    // nginx refuses a second session publishing the same stream, then reports it done: /stat still lists the DJ.
    events.emit('rtmp.publish.started', event(DJ_KEY));
    events.emit('rtmp.publish.stopped', event(DJ_KEY));
    await decided();
    expect(commands()).toEqual([djInput(DJ_KEY)]);

    leave(DJ_KEY);
    await decided();
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' });
  });

  it('hands back to the configured radio URL, and holds a source change made during the show until the DJ stops', async () => {
    await moduleRef.get(TelegramConfigService).update({ source: 'url', radioUrl: 'https://radio.example/stream.mp3' });
    await startDaemon();
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toHaveLength(1);
    heard('rtmp');

    const changed = await configUpdates.update({ radioUrl: 'https://radio.example/other.mp3' });
    expect(changed.restartRequired).toBe(false);
    expect(commands()).toHaveLength(1); // the DJ keeps the air

    leave(DJ_KEY);
    await decided();
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'url', url: 'https://radio.example/other.mp3' });
  });

  it('first DJ keeps the air; a second DJ never gets it while the first is live, and the playlist is back when both are gone', async () => {
    await startDaemon();
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toHaveLength(1);
    heard('rtmp');
    goLive(OTHER_DJ_KEY);
    await decided();
    leave(OTHER_DJ_KEY);
    await decided();
    // At most a repeat of the first DJ's input (which the daemon ignores), never the second DJ's.
    expect(new Set(commands().map((c) => JSON.stringify(c)))).toEqual(new Set([JSON.stringify(djInput(DJ_KEY))]));
    leave(DJ_KEY);
    await decided();
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' });
  });

  it('does nothing with the flag off, or with no daemon running', async () => {
    await moduleRef.get(TelegramConfigService).update({ liveTakeover: false });
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toEqual([]);

    await startDaemon();
    goLive(OTHER_DJ_KEY);
    await decided();
    expect(commands()).toEqual([]);
  });

  it('a DJ who went live while the daemon was stopped has the air as soon as the daemon starts', async () => {
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toEqual([]);
    await startDaemon();
    await decided();
    expect(commands()).toEqual([djInput(DJ_KEY)]);
  });

  it('a Wave restarted mid-show hands the air back when the DJ stops', async () => {
    await startDaemon();
    goLive(DJ_KEY);
    await decided();
    expect(commands()).toHaveLength(1);
    heard('rtmp');
    await decided();

    await moduleRef.close();
    await boot(); // the daemon keeps running in PM2; this Wave has heard nothing from it yet
    goLive(OTHER_DJ_KEY);
    await decided();
    expect(
      commands()
        .slice(1)
        .every((c) => c.url === djInput(DJ_KEY).url),
    ).toBe(true); // never the second DJ
    leave(OTHER_DJ_KEY);
    leave(DJ_KEY);
    await decided();
    expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' });
  });

  describe('with the Docker engine down', () => {
    const RADIO = 'https://radio.example/stream.mp3';
    const closeStat = () => nginxStat.close(STAT_PORT);

    it('a source change reaches the daemon when neither the engine nor an ingest answers; the log says who is live is unknown', async () => {
      await startDaemon();
      docker.unreachable = true;
      closeStat(); // no ingest serves: none can run without the engine
      const changed = await configUpdates.update({ source: 'url', radioUrl: RADIO });
      expect(changed.restartRequired).toBe(false);
      expect(commands()).toEqual([{ command: 'switch-source', source: 'url', url: RADIO }]);
      expect(logged.join('\n')).toMatch(/who is live on the RTMP ingest is unknown \(.*unreachable.*\); deciding as if no DJ were live/);
    });

    it('with the engine hung, the change waits one Docker bound, not forever', async () => {
      await startDaemon();
      docker.hangMs = 150;
      closeStat();
      const started = performance.now();
      const changed = await configUpdates.update({ source: 'url', radioUrl: RADIO });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(changed.restartRequired).toBe(false);
      expect(commands()).toEqual([{ command: 'switch-source', source: 'url', url: RADIO }]);
    });

    it('a change right after the daemon started waits for no second engine bound behind the start-up decision', async () => {
      docker.hangMs = 400;
      closeStat();
      await stream.start();
      pm2.report({ event: 'daemon-started', pid: 4242, at: new Date().toISOString(), source: 'playlist' });
      heard('playlist');
      const started = performance.now();
      const changed = await configUpdates.update({ source: 'url', radioUrl: RADIO });
      expect(performance.now() - started).toBeLessThan(700); // one bound (the start-up decision's), not two
      expect(changed.restartRequired).toBe(false);
      expect(commands()).toEqual([{ command: 'switch-source', source: 'url', url: RADIO }]);
      expect(docker.hangCalls).toBe(1);
    });

    it("while the ingest still serves (a hung engine's containers run on), who is live comes from nginx: a DJ live keeps the air", async () => {
      await startDaemon();
      goLive(DJ_KEY);
      await decided();
      expect(commands()).toEqual([djInput(DJ_KEY)]);
      heard('rtmp');
      docker.hangMs = 60_000; // the decision must not ask the engine at all
      const started = performance.now();
      expect((await configUpdates.update({ source: 'url', radioUrl: RADIO })).restartRequired).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(commands()).toHaveLength(1); // the DJ keeps the air
      leave(DJ_KEY);
      await decided();
      expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'url', url: RADIO });
      expect(docker.hangCalls).toBe(0);
    });

    it('a switch the daemon cannot be told of answers restartRequired: true', async () => {
      await startDaemon();
      pm2.sendFails = new Error('PM2 did not answer in 20 s');
      expect((await configUpdates.update({ source: 'url', radioUrl: RADIO })).restartRequired).toBe(true);
      expect(logged.join('\n')).toContain('could not switch the Telegram source: PM2 did not answer');
    });
  });

  it("tells a daemon started with source rtmp and no relay URL Wave's own ingest input", async () => {
    await moduleRef.get(TelegramConfigService).update({ source: 'rtmp' });
    expect((await moduleRef.get(TelegramConfigService).view()).relayUrl).toBe('');
    await startDaemon();
    await decided();
    expect(commands()).toEqual([djInput(DJ_KEY)]);
  });
});
