import 'reflect-metadata';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { WaveEvents } from '../bus/wave-events.js';
import type { DestinationConnection } from '../contracts/destinations.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { TELEGRAM_CONFIG_DOCUMENT } from '../telegram/telegram-config.document.js';
import { TelegramConfigService } from '../telegram/telegram-config.service.js';
import { TelegramStreamService } from '../telegram/telegram-stream.service.js';
import { DESTINATIONS_DOCUMENT, MAX_DESTINATIONS } from '../telegram/destinations.document.js';
import { DestinationsService, REASON_DAEMON_STOPPED, REASON_OPERATOR } from './destinations.service.js';

const KEY = 'yt-secret-key-abcd1234';
const TELEGRAM_KEY = '1234567890:AAbbCCddEEffGGhhIIjjKK';

/** The daemon as the destinations see it: whether it runs, and the commands it was sent. */
class FakeStream {
  running = false;
  readonly sent: string[] = [];
  async reloadDestinations(): Promise<boolean> {
    if (!this.running) return false;
    this.sent.push('reload-destinations');
    return true;
  }
}

function report(id: string, state: DestinationConnection['state'], extra: Partial<DestinationConnection> = {}): DestinationConnection {
  return {
    id,
    state,
    attempt: 0,
    since: '2026-01-01T00:00:00.000Z',
    uptimeSec: 0,
    bitrateKbps: 0,
    bytesSent: 0,
    reconnects: 0,
    lastError: null,
    ...extra,
  };
}

describe('DestinationsService (real document store on a temp DATA_DIR, fake daemon)', () => {
  let ctx: TestService<DestinationsService>;
  let service: DestinationsService;
  let stream: FakeStream;
  const raised = (name: string) => ctx.events.filter(([n]) => n === name).map(([, payload]) => payload);

  beforeEach(async () => {
    stream = new FakeStream();
    ctx = await newTestService(DestinationsService, {
      providers: [
        { provide: TelegramStreamService, useValue: stream },
        {
          provide: TelegramConfigService,
          inject: [DocumentStore],
          useFactory: (store: DocumentStore) => ({ read: () => store.read(TELEGRAM_CONFIG_DOCUMENT) }),
        },
      ],
    });
    service = ctx.sut;
    await ctx
      .get(DocumentStore)
      .update(TELEGRAM_CONFIG_DOCUMENT, (c) => ({ ...c, serverUrl: 'rtmps://dc4-1.rtmp.t.me/s/', streamKey: TELEGRAM_KEY }));
  });

  afterEach(() => ctx.close());

  it('lists the Telegram channel first, from its config, key masked, read-only', async () => {
    const [telegram, ...others] = await service.list();
    expect(others).toEqual([]);
    expect(telegram).toMatchObject({
      id: 'telegram',
      kind: 'telegram',
      name: 'Telegram',
      url: 'rtmps://dc4-1.rtmp.t.me/s/',
      streamKey: '****jjKK',
      enabled: true,
      connection: { state: 'disabled', reason: REASON_DAEMON_STOPPED },
    });
    expect(Date.parse(telegram.createdAt)).not.toBeNaN();
    await expect(service.update('telegram', { name: 'x' })).rejects.toMatchObject({ status: 409, code: 'telegram_destination' });
    await expect(service.remove('telegram')).rejects.toMatchObject({ status: 409, code: 'telegram_destination' });
    await expect(service.setEnabled('telegram', false)).rejects.toMatchObject({ status: 409 });
  });

  it('adds, changes, disables, enables and deletes; the file (0600) holds the key, views and events only its mask', async () => {
    const added = await service.add({ name: 'YouTube', url: 'rtmp://a.rtmp.youtube.com/live2', streamKey: KEY });
    expect(added).toMatchObject({ kind: 'rtmp', name: 'YouTube', streamKey: '****1234', enabled: true });
    expect(added.id).toMatch(/^youtube-[0-9a-f]{6}$/);
    const file = join(ctx.dataDir, DESTINATIONS_DOCUMENT.file);
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(await readFile(file, 'utf8')).destinations[0]).toMatchObject({ id: added.id, streamKey: KEY });

    const renamed = await service.update(added.id, { name: 'YouTube main', url: 'rtmps://a.rtmps.youtube.com/live2' });
    expect(renamed).toMatchObject({ name: 'YouTube main', url: 'rtmps://a.rtmps.youtube.com/live2', streamKey: '****1234' });
    expect(renamed.createdAt).toBe(added.createdAt);
    expect((await service.setEnabled(added.id, false)).enabled).toBe(false);
    expect((await service.setEnabled(added.id, true)).enabled).toBe(true);
    expect((await service.list()).map((d) => d.id)).toEqual(['telegram', added.id]);
    await service.remove(added.id);
    await expect(service.get(added.id)).rejects.toMatchObject({ status: 404, code: 'destination_not_found' });
    expect(raised('stream.destinations.updated').map((e) => (e as { action: string }).action)).toEqual([
      'added',
      'updated',
      'updated',
      'updated',
      'deleted',
    ]);
    expect(JSON.stringify(ctx.events)).not.toContain(KEY);
  });

  it('refuses a taken name (Telegram too), more than MAX_DESTINATIONS, unknown ids; nothing changes', async () => {
    const first = await service.add({ name: 'Twitch', url: 'rtmp://live.twitch.tv/app', streamKey: KEY });
    await expect(service.add({ name: 'twitch ', url: 'rtmp://x.example/app' })).rejects.toMatchObject({
      status: 409,
      code: 'destination_name_taken',
    });
    await expect(service.add({ name: 'Telegram', url: 'rtmp://x.example/app' })).rejects.toMatchObject({ code: 'destination_name_taken' });
    const second = await service.add({ name: 'Other', url: 'rtmp://x.example/app' });
    await expect(service.update(second.id, { name: 'Twitch' })).rejects.toMatchObject({ code: 'destination_name_taken' });
    expect((await service.update(first.id, { name: 'Twitch' })).name).toBe('Twitch');
    await expect(service.update('nope', { enabled: false })).rejects.toMatchObject({ status: 404 });
    await expect(service.add({ name: 'Inside', url: 'rtmp://10.1.2.3/app' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('url must not point at'),
    });
    await expect(service.update(second.id, { url: 'rtmp://169.254.169.254/app' })).rejects.toMatchObject({ status: 400 });
    await expect(service.remove('nope')).rejects.toMatchObject({ status: 404 });
    for (let i = 2; i < MAX_DESTINATIONS; i++) await service.add({ name: `d${i}`, url: 'rtmp://x.example/app' });
    await expect(service.add({ name: 'one too many', url: 'rtmp://x.example/app' })).rejects.toMatchObject({
      status: 409,
      code: 'destinations_limit',
    });
    expect(await service.list()).toHaveLength(MAX_DESTINATIONS + 1);
    expect((await service.get(second.id)).streamKey).toBeNull();
  });

  it('sends reload-destinations after each write only while the daemon runs', async () => {
    const a = await service.add({ name: 'A', url: 'rtmp://a.example/app', streamKey: KEY });
    expect(stream.sent).toEqual([]);
    stream.running = true;
    await service.setEnabled(a.id, false);
    await service.remove(a.id);
    expect(stream.sent).toEqual(['reload-destinations', 'reload-destinations']);
  });

  it("shows the daemon's last report per destination; before one: connecting (enabled) or disabled; daemon stopped → all disabled", async () => {
    const a = await service.add({ name: 'A', url: 'rtmp://a.example/app', streamKey: KEY });
    const b = await service.add({ name: 'B', url: 'rtmp://b.example/app', enabled: false });
    expect((await service.get(a.id)).connection).toMatchObject({ state: 'disabled', reason: REASON_DAEMON_STOPPED });

    service.daemonStarted();
    expect((await service.get(a.id)).connection.state).toBe('connecting');
    expect((await service.get(b.id)).connection).toMatchObject({ state: 'disabled', reason: REASON_OPERATOR });

    const events = ctx.get(WaveEvents);
    events.emit('stream.destination.state', {
      destination: report(a.id, 'live', { uptimeSec: 12, bitrateKbps: 130 }),
      name: 'A',
      previous: 'connecting',
      at: '2026-01-01T00:00:01.000Z',
    });
    events.emit('telegram.stats', {
      bitrateKbps: 130,
      bytesSent: 1,
      uptimeSec: 20,
      connectedSec: 20,
      connected: true,
      reconnects: 0,
      silenceMs: 0,
      destinations: [report('telegram', 'retrying', { attempt: 2, reconnects: 3 })],
      at: '2026-01-01T00:00:02.000Z',
    });
    expect((await service.get(a.id)).connection).toMatchObject({ state: 'live', uptimeSec: 12, bitrateKbps: 130 });
    expect((await service.get('telegram')).connection).toMatchObject({ state: 'retrying', reconnects: 3 });
    expect((await service.statuses()).map((d) => [d.id, d.connection.state])).toEqual([
      ['telegram', 'retrying'],
      [a.id, 'live'],
      [b.id, 'disabled'],
    ]);

    ctx.events.length = 0;
    await service.daemonStopped({ at: '2026-01-01T00:01:00.000Z' });
    for (const d of await service.list()) expect(d.connection).toMatchObject({ state: 'disabled', reason: REASON_DAEMON_STOPPED });
    expect(raised('stream.destination.state')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'A', previous: 'live', destination: expect.objectContaining({ state: 'disabled' }) }),
        expect.objectContaining({ name: 'Telegram', previous: 'retrying' }),
      ]),
    );
    expect(raised('stream.destination.state')).toHaveLength(2);
  });
});
