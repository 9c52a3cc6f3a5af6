import 'reflect-metadata';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redact } from '../common/redaction.js';
import type { WaveEventMap } from '../bus/wave-events.js';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakePm2 } from '../../test/fakes/pm2.repository.fake.js';
import { LiveIngest } from '../rtmp/live-ingest.js';
import { TrackLibrary } from '../tracks/track-library.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import { DAEMON_PROCESS_NAME } from '../contracts/daemon-messages.js';
import { TELEGRAM_CONFIG_DOCUMENT } from './telegram-config.document.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramConfigUpdateService } from './telegram-config-update.service.js';
import { TelegramReportListener } from './telegram-report.listener.js';
import { DESTINATIONS_DOCUMENT } from './destinations.document.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';
import { NOW_PLAYING_FILE } from './now-playing.file.js';
import { NowPlayingService } from './now-playing.service.js';

const KEY = '1234567890:AbCdEfGhIjKlMnOpQrStUvWx';

/** The library as the Telegram stream asks it: how many tracks it has. */
class FakeTrackLibrary extends TrackLibrary {
  tracks = 0;
  async publishPlaylist() {
    return this.tracks;
  }
}

/** Wave's RTMP ingest as the live takeover asks it, with no ingest running: nobody is live on it. */
class NoIngest extends LiveIngest {
  async livePublishers() {
    return [];
  }
  async liveInputUrl(): Promise<string> {
    throw new Error('no ingest runs');
  }
  async liveInputUrlForPublisher() {
    return null;
  }
}

/** Each file in `dir` with its modification time. */
async function filesIn(dir: string): Promise<Record<string, number>> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await stat(join(dir, name))).mtimeMs] as const)));
}

describe('TelegramStreamService', () => {
  let dataDir: string;
  let pm2: FakePm2;
  let ctx: TestService<TelegramStreamService>;
  let service: TelegramStreamService;
  let configService: TelegramConfigService;
  let nowPlaying: NowPlayingService;
  let library: FakeTrackLibrary;
  let reports: TelegramReportListener;
  let configUpdates: TelegramConfigUpdateService;
  const emitted: Array<[string, unknown]> = [];

  beforeEach(async () => {
    library = new FakeTrackLibrary();
    ctx = await newTestService(TelegramStreamService, {
      // The stand-in ingest is on loopback, which configured URLs may reach only when allowed.
      env: { WAVE_OUTBOUND_ALLOW: '127.0.0.1' },
      providers: [
        MediaProbeService,
        TelegramConfigService,
        NowPlayingService,
        TelegramReportListener,
        TelegramSourceService,
        TelegramConfigUpdateService,
        { provide: LiveIngest, useClass: NoIngest },
        { provide: TrackLibrary, useValue: library },
      ],
    });
    ({ sut: service, dataDir } = ctx);
    pm2 = ctx.fakes.pm2;
    configService = ctx.get(TelegramConfigService);
    nowPlaying = ctx.get(NowPlayingService);
    reports = ctx.get(TelegramReportListener);
    configUpdates = ctx.get(TelegramConfigUpdateService);
    ctx.get(EventEmitter2).onAny((name, payload) => emitted.push([String(name), payload]));
    emitted.length = 0;
  });

  afterEach(() => ctx.close());

  async function configure(changes: Parameters<TelegramConfigService['update']>[0] = {}) {
    await configService.update({ serverUrl: 'rtmps://127.0.0.1:1936/s/', streamKey: KEY, ...changes });
  }

  function addTrack() {
    library.tracks += 1;
  }

  it('refuses to start without a stream key, naming it, and starts nothing', async () => {
    await expect(service.start()).rejects.toMatchObject({ status: 400, code: 'telegram_not_configured' });
    const error = (await service.start().catch((e: unknown) => e)) as { getResponse(): { message: string[] } };
    expect(error.getResponse().message).toEqual(['streamKey is not set: PUT /api/stream/telegram/config first']);
    expect(pm2.calls).toEqual([]);
  });

  it('refuses to start a playlist with no tracks (409)', async () => {
    await configure();
    await expect(service.start()).rejects.toMatchObject({ status: 409, code: 'playlist_empty' });
    expect(pm2.calls).toEqual([]);
  });

  it('starts once however many starts race, and stop/restart are idempotent', async () => {
    await configure();
    addTrack();
    const results = await Promise.all([service.start(), service.start(), service.start()]);
    expect(pm2.calls).toEqual([`start ${DAEMON_PROCESS_NAME}`]);
    expect(results.map((r) => r.state)).toEqual(['online', 'online', 'online']);
    expect(results[0]).toMatchObject({ running: true, pid: 4242, restarts: 0 });

    await service.restart();
    expect((await service.status()).restarts).toBe(1);

    await Promise.all([service.stop(), service.stop()]);
    expect(pm2.calls.filter((c) => c.startsWith('stop'))).toHaveLength(1);
    expect(await service.status()).toMatchObject({ state: 'stopped', running: false, pid: null, connected: false });

    // A stopped leftover is replaced, so the definition PM2 runs is the current one.
    await service.start();
    expect(pm2.calls.slice(-2)).toEqual([`delete ${DAEMON_PROCESS_NAME}`, `start ${DAEMON_PROCESS_NAME}`]);
  });

  it("persists now playing from the daemon's reports apart from the library and raises track.changed; ignores other processes", async () => {
    await configure();
    addTrack();
    await service.start();
    const filesBefore = await filesIn(dataDir);
    const startedAt = new Date().toISOString();
    pm2.report({ event: 'track-started', track: { id: 'x', title: 'Other', artist: 'App', duration: 1 }, startedAt }, 'some-other-app');
    pm2.report({ event: 'connection', state: 'connected', attempt: 0, at: startedAt });
    pm2.report({ event: 'track-started', track: { id: 't1', title: 'Song', artist: 'Band', duration: 3 }, startedAt });
    // A track the daemon chose in its own library order: no reason, no playlist, nothing decided next yet.
    const stored = { trackId: 't1', title: 'Song', artist: 'Band', duration: 3, startedAt, reason: null, playlistId: null };
    const expected = { ...stored, next: null };
    await vi.waitFor(() => expect(nowPlaying.current()).toEqual(expected));
    await nowPlaying.saved();
    expect(JSON.parse(await readFile(join(dataDir, NOW_PLAYING_FILE), 'utf8'))).toEqual(stored);
    // A track change writes that small file and nothing else (the library file least of all).
    expect(await filesIn(dataDir)).toEqual({ ...filesBefore, [NOW_PLAYING_FILE]: expect.any(Number) });

    expect(emitted).toContainEqual([
      'track.changed',
      {
        track: { id: 't1', title: 'Song', artist: 'Band', duration: 3 },
        startedAt,
        reason: null,
        playlistId: null,
        itemId: null,
        next: null,
      },
    ]);
    const status = await service.status();
    expect(status).toMatchObject({ connected: true, connection: 'connected', nowPlaying: expected });

    await service.stop();
    expect(nowPlaying.current()).toBeNull();
    expect((await service.status()).nowPlaying).toBeNull();
    await nowPlaying.saved();
    expect(existsSync(join(dataDir, NOW_PLAYING_FILE))).toBe(false);
  });

  it('reports a daemon that ends by itself with exit code 0 (playlist played out) as a stop, and a crash as an error', async () => {
    await configure();
    addTrack();
    await service.start();
    pm2.report({ event: 'connection', state: 'connected', attempt: 0, at: new Date().toISOString() });
    pm2.exit(DAEMON_PROCESS_NAME, 0);
    await vi.waitFor(() =>
      expect(emitted).toContainEqual([
        'telegram.status',
        expect.objectContaining({ state: 'stopped', reason: `${DAEMON_PROCESS_NAME} ended by itself (exit code 0)` }),
      ]),
    );
    expect(emitted.map(([name]) => name)).not.toContain('telegram.error');
    expect((await service.status()).lastError).toBeNull();

    await service.start();
    pm2.exit(DAEMON_PROCESS_NAME, 1);
    await vi.waitFor(() => expect(emitted).toContainEqual(['telegram.error', expect.objectContaining({ code: 'daemon_exited' })]));
  });

  it("hands out copies of the daemon's report: a reader cannot change what the status shows", async () => {
    await configure();
    addTrack();
    await service.start();
    pm2.report({ event: 'source-changed', source: 'url', label: 'https://radio.example/stream', at: new Date().toISOString() });
    const copy = reports.view();
    copy.source!.kind = 'rtmp';
    copy.connection = 'connected';
    expect(reports.onAir).toBe('url');
    expect(await service.status()).toMatchObject({ live: false, connection: 'unknown', source: { kind: 'url' } });
  });

  it('redacts the stream key from daemon errors before raising telegram.error', async () => {
    await configure();
    addTrack();
    await service.start();
    pm2.report({ event: 'error', code: 'encoder_failed', message: `push to rtmps://host/s/${KEY} failed`, at: new Date().toISOString() });
    await vi.waitFor(() => expect(emitted.map(([name]) => name)).toContain('telegram.error'));
    const [, payload] = emitted.find(([name]) => name === 'telegram.error')! as [string, WaveEventMap['telegram.error']];
    expect(payload.message).not.toContain(KEY);
    expect(redact(`key ${KEY}`)).not.toContain(KEY);
  });

  it('scrubs a saved stream key from logs, and not the value of a rejected update', async () => {
    await expect(configService.update({ streamKey: 'rejected-by-cover', coverImage: '/nonexistent/cover.png' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(configService.update({ streamKey: 'rejected-by-schema', source: 'url' })).rejects.toMatchObject({ status: 400 });
    expect(redact('rejected-by-cover rejected-by-schema')).toBe('rejected-by-cover rejected-by-schema');
    await configService.update({ streamKey: 'saved-plain-key' });
    expect(redact('key saved-plain-key')).toBe('key ****');
  });

  it('masks the key, switches the source of a running daemon live, and flags restart-only changes', async () => {
    await configure();
    addTrack();
    await service.start();
    const result = await configUpdates.update({ source: 'url', radioUrl: 'https://radio.example/stream' });
    expect(result).toMatchObject({ source: 'url', streamKey: '****UvWx', streamKeySet: true, restartRequired: false });
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(pm2.sent).toEqual([
      { pmId: 0, topic: 'wave', data: { command: 'switch-source', source: 'url', url: 'https://radio.example/stream' } },
    ]);
    expect((await configUpdates.update({ audioBitrateKbps: 160 })).restartRequired).toBe(true);
  });

  it('tells a running daemon to re-read the destinations (reload-destinations, no key), and nothing when it does not run', async () => {
    expect(await service.reloadDestinations()).toBe(false);
    expect(pm2.sent).toEqual([]);
    await configure();
    addTrack();
    await service.start();
    expect(await service.reloadDestinations()).toBe(true);
    expect(pm2.sent).toEqual([{ pmId: 0, topic: 'wave', data: { command: 'reload-destinations' } }]);
  });

  it("raises a destination-state report as stream.destination.state with the destination's name, its error redacted", async () => {
    const at = new Date().toISOString();
    await ctx.get(DocumentStore).update(DESTINATIONS_DOCUMENT, () => ({
      destinations: [
        {
          id: 'yt-1a2b3c',
          name: 'YouTube',
          url: 'rtmp://a.example/live2',
          streamKey: 'yt-secret-key-123',
          enabled: true,
          createdAt: at,
          updatedAt: at,
        },
      ],
    }));
    const connection = { attempt: 1, since: at, uptimeSec: 0, bitrateKbps: 0, bytesSent: 0, reconnects: 0, retryInMs: 1000 };
    const lastError = { message: 'refused rtmp://a.example/live2/yt-secret-key-123', code: 'publish_refused', at };
    pm2.report({
      event: 'destination-state',
      destination: { id: 'yt-1a2b3c', state: 'retrying', ...connection, lastError },
      previous: 'connecting',
      at,
    });
    pm2.report({
      event: 'destination-state',
      destination: { id: 'telegram', state: 'live', ...connection, lastError: null },
      previous: null,
      at,
    });
    await vi.waitFor(() => expect(emitted.filter(([name]) => name === 'stream.destination.state')).toHaveLength(2));
    const raised = emitted.filter(([name]) => name === 'stream.destination.state').map(([, payload]) => payload);
    expect(raised).toContainEqual(expect.objectContaining({ name: 'YouTube', previous: 'connecting', at }));
    expect(raised).toContainEqual(expect.objectContaining({ name: 'Telegram', destination: expect.objectContaining({ state: 'live' }) }));
    expect(JSON.stringify(raised)).not.toContain('yt-secret-key-123');
  });

  it('hands a running daemon changed sound settings live (set-sound), and nothing when they did not change', async () => {
    await configure();
    addTrack();
    await service.start();
    const result = await configUpdates.update({ loudnessTarget: -23, crossfadeSec: 4.5 });
    expect(result).toMatchObject({ loudnessTarget: -23, crossfadeSec: 4.5, normalize: true, restartRequired: false });
    expect(pm2.sent).toEqual([
      {
        pmId: 0,
        topic: 'wave',
        data: {
          command: 'set-sound',
          sound: {
            normalize: true,
            loudnessTarget: -23,
            crossfadeSec: 4.5,
            crossfadeJingles: true,
            silenceThresholdDb: -50,
            liveFadeMs: 500,
            liveLoudness: true,
          },
        },
      },
    ]);
    await configUpdates.update({ loudnessTarget: -23 });
    expect(pm2.sent).toHaveLength(1);
  });

  it('masks credentials and the RTMP key in source URLs, and keeps the stored URL when its masked view is sent back', async () => {
    const radioUrl = 'https://dj:radio-password@radio.example/stream.mp3?token=radio-token-123';
    const relayUrl = 'rtmp://ingest.example:1935/live/relay-key-abcdef';
    const result = await configUpdates.update({ source: 'url', radioUrl, relayUrl });
    expect(result).toMatchObject({
      radioUrl: 'https://****@radio.example/stream.mp3?token=****',
      relayUrl: 'rtmp://ingest.example:1935/live/****',
    });
    for (const secret of ['radio-password', 'radio-token-123', 'relay-key-abcdef']) {
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(JSON.stringify(await configService.view())).not.toContain(secret);
      expect(JSON.stringify(emitted)).not.toContain(secret);
    }
    await configUpdates.update({ radioUrl: result.radioUrl, relayUrl: result.relayUrl });
    expect(await configService.read()).toMatchObject({ radioUrl, relayUrl });
  });

  it('rejects an update that breaks the document and leaves the file byte for byte', async () => {
    await configure();
    const before = await readFile(join(dataDir, TELEGRAM_CONFIG_DOCUMENT.file));
    // `url` needs a radio URL; none is stored.
    await expect(configUpdates.update({ source: 'url' })).rejects.toMatchObject({ status: 400, code: 'invalid_config' });
    await expect(configUpdates.update({ coverImage: 'missing.png' })).rejects.toMatchObject({ status: 400 });
    expect(await readFile(join(dataDir, TELEGRAM_CONFIG_DOCUMENT.file))).toEqual(before);
  });
});
