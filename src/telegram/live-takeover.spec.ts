import 'reflect-metadata';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test, TestingModule } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakePm2 } from '../../test/fakes/pm2.repository.fake.js';
import { AppConfig } from '../config/app-config.js';
import { DocumentStore } from '../config/document-store.service.js';
import { validateEnvironment } from '../config/env.validation.js';
import { WaveEvents } from '../events/wave-events.js';
import { DockerRepository } from '../repositories/docker.repository.js';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { publisherIdOf } from '../rtmp/publisher-id.js';
import { RtmpCallbackServer } from '../rtmp/rtmp-callback.server.js';
import { RTMP_CONFIG_DOCUMENT } from '../rtmp/rtmp-config.document.js';
import { RtmpConfigService } from '../rtmp/rtmp-config.service.js';
import { RtmpPublishAuthService } from '../rtmp/rtmp-publish-auth.service.js';
import { RtmpService } from '../rtmp/rtmp.service.js';
import { AUDIO_TRACKS_DOCUMENT } from '../tracks/audio-tracks.document.js';
import type { DaemonSourceKind } from './daemon/daemon-messages.js';
import { onDjPublished, onDjUnpublished, onSourceConfigured, type TakeoverContext } from './live-takeover.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';

const TELEGRAM_KEY = '1234567890:AbCdEfGhIjKlMnOpQrStUvWx';
const DJ_KEY = 'dj-anna-7f3c9a1b2d';
const OTHER_DJ_KEY = 'dj-boris-0e1f2a3b4c';

describe('live takeover decisions', () => {
  const context = (over: Partial<TakeoverContext> = {}): TakeoverContext => ({
    enabled: true,
    configuredSource: 'playlist',
    daemonRunning: true,
    djOnAir: null,
    onAir: 'playlist',
    ...over,
  });

  it('lets the first DJ take the air, only with the flag on and the stream running', () => {
    expect(onDjPublished(context(), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished(context({ configuredSource: 'url', onAir: 'url' }), 'a')).toEqual({ action: 'take-air', publisherId: 'a' });
    expect(onDjPublished(context({ enabled: false }), 'a')).toMatchObject({ action: 'none', reason: 'live takeover is off' });
    expect(onDjPublished(context({ daemonRunning: false }), 'a')).toMatchObject({ action: 'none' });
    expect(onDjPublished(context({ djOnAir: 'a' }), 'b')).toMatchObject({ action: 'none', reason: 'another DJ has the air' });
  });

  it('hands back when the DJ on air stops, and holds a configured source change until then', () => {
    expect(onDjUnpublished(context({ djOnAir: 'a' }), 'a')).toEqual({ action: 'hand-back' });
    expect(onDjUnpublished(context({ djOnAir: 'a' }), 'b')).toMatchObject({ action: 'none' });
    expect(onDjUnpublished(context(), 'b')).toMatchObject({ action: 'none' });
    // A relay found on air with nobody recorded: Wave restarted during a show.
    expect(onDjUnpublished(context({ onAir: 'rtmp' }), 'a')).toEqual({ action: 'hand-back' });
    expect(onDjUnpublished(context({ onAir: 'rtmp', configuredSource: 'rtmp' }), 'a')).toMatchObject({ action: 'none' });
    expect(onSourceConfigured(context({ djOnAir: 'a' }))).toMatchObject({ action: 'none' });
    expect(onSourceConfigured(context({ djOnAir: 'a', enabled: false }))).toEqual({ action: 'hand-back' });
  });
});

describe('TelegramSourceService (live takeover through the domain events, fake PM2)', () => {
  let dataDir: string;
  let moduleRef: TestingModule;
  let pm2: FakePm2;
  let events: WaveEvents;
  let stream: TelegramStreamService;
  const emitted: Array<[string, unknown]> = [];
  const logged: string[] = [];

  const commands = () => pm2.sent.map(({ data }) => data as { command: string; source?: string; url?: string });
  const publish = (key: string, stopped = false) =>
    events.emit(stopped ? 'rtmp.publish.stopped' : 'rtmp.publish.started', { application: 'live', stream: `****${key.slice(-4)}`, publisherId: publisherIdOf(key), at: new Date().toISOString() });
  /** The daemon reports what it has on air, as it does once the audio is heard. */
  const heard = (source: DaemonSourceKind, label: string = source) => pm2.report({ event: 'source-changed', source, label, at: new Date().toISOString() });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-takeover-spec-'));
    const config = new AppConfig(validateEnvironment({ DATA_DIR: dataDir, LOG_DIR: join(dataDir, 'logs') }));
    pm2 = new FakePm2();
    moduleRef = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot()],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: Pm2Repository, useValue: pm2 },
        DocumentStore,
        WaveEvents,
        DockerRepository,
        RtmpConfigService,
        RtmpPublishAuthService,
        RtmpCallbackServer,
        RtmpService,
        TelegramConfigService,
        TelegramSourceService,
        TelegramStreamService,
      ],
    }).compile();
    moduleRef.useLogger({ log: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m), debug: (m: string) => logged.push(m), verbose: () => {} });
    await moduleRef.init();
    moduleRef.get(EventEmitter2).onAny((name, payload) => emitted.push([String(name), payload]));
    events = moduleRef.get(WaveEvents);
    stream = moduleRef.get(TelegramStreamService);
    const store = moduleRef.get(DocumentStore);
    await store.update(RTMP_CONFIG_DOCUMENT, (doc) => ({ ...doc, rtmpPort: 1935, streamKeys: [DJ_KEY, OTHER_DJ_KEY] }));
    await store.update(AUDIO_TRACKS_DOCUMENT, (doc) => ({
      ...doc,
      tracks: [{ id: 't1', title: 'Song', artist: 'Band', path: 't1.mp3', duration: 3, addedAt: new Date().toISOString() }],
    }));
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
  }

  it('switches the playing daemon to the DJ on publish and back to the playlist on unpublish; the key goes only over IPC', async () => {
    await startDaemon();
    await vi.waitFor(() => expect(emitted.some(([n]) => n === 'telegram.source')).toBe(true));
    expect(commands()).toEqual([]);

    publish(DJ_KEY);
    await vi.waitFor(() => expect(commands()).toEqual([{ command: 'switch-source', source: 'rtmp', url: `rtmp://127.0.0.1:1935/live/${DJ_KEY}` }]));
    heard('rtmp', 'rtmp://127.0.0.1:1935/live/****');
    await vi.waitFor(async () => expect(await stream.status()).toMatchObject({ live: true, source: { kind: 'rtmp', label: 'rtmp://127.0.0.1:1935/live/****' } }));
    expect(emitted).toContainEqual(['telegram.source', expect.objectContaining({ source: 'rtmp', previous: 'playlist', live: true })]);
    expect(emitted).toContainEqual(['telegram.status', expect.objectContaining({ source: 'rtmp', reason: 'DJ on air' })]);

    publish(DJ_KEY, true);
    await vi.waitFor(() => expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'playlist' }));
    heard('playlist');
    await vi.waitFor(async () => expect(await stream.status()).toMatchObject({ live: false, source: { kind: 'playlist' } }));
    expect(commands()).toHaveLength(2);

    expect(JSON.stringify(emitted)).not.toContain(DJ_KEY);
    expect(logged.join('\n')).not.toContain(DJ_KEY);
  });

  it('hands back to the configured radio URL, and holds a source change made during the show until the DJ stops', async () => {
    await moduleRef.get(TelegramConfigService).update({ source: 'url', radioUrl: 'https://radio.example/stream.mp3' });
    await startDaemon();
    publish(DJ_KEY);
    await vi.waitFor(() => expect(commands()).toHaveLength(1));
    heard('rtmp');

    const changed = await stream.updateConfig({ radioUrl: 'https://radio.example/other.mp3' });
    expect(changed.restartRequired).toBe(false);
    expect(commands()).toHaveLength(1); // the DJ keeps the air

    publish(DJ_KEY, true);
    await vi.waitFor(() => expect(commands().at(-1)).toEqual({ command: 'switch-source', source: 'url', url: 'https://radio.example/other.mp3' }));
  });

  it('first DJ keeps the air; a second DJ changes nothing, neither when going live nor when leaving', async () => {
    await startDaemon();
    publish(DJ_KEY);
    await vi.waitFor(() => expect(commands()).toHaveLength(1));
    heard('rtmp');
    publish(OTHER_DJ_KEY);
    publish(OTHER_DJ_KEY, true);
    await new Promise((r) => setTimeout(r, 50));
    expect(commands()).toHaveLength(1);
    publish(DJ_KEY, true);
    await vi.waitFor(() => expect(commands()).toEqual([expect.objectContaining({ source: 'rtmp' }), { command: 'switch-source', source: 'playlist' }]));
  });

  it('does nothing with the flag off, or with no daemon running', async () => {
    publish(DJ_KEY);
    await new Promise((r) => setTimeout(r, 50));
    expect(commands()).toEqual([]);

    await startDaemon();
    await stream.updateConfig({ liveTakeover: false });
    publish(DJ_KEY);
    await new Promise((r) => setTimeout(r, 50));
    expect(commands()).toEqual([{ command: 'switch-source', source: 'playlist' }]); // the flag change re-applies the configured source
  });

  it("tells a daemon started with source rtmp and no relay URL Wave's own ingest input", async () => {
    await moduleRef.get(TelegramConfigService).update({ source: 'rtmp' });
    expect((await moduleRef.get(TelegramConfigService).view()).relayUrl).toBe('');
    await startDaemon();
    await vi.waitFor(() => expect(commands()).toEqual([{ command: 'switch-source', source: 'rtmp', url: `rtmp://127.0.0.1:1935/live/${DJ_KEY}` }]));
  });
});
