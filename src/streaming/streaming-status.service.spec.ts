import { afterEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { NowPlaying, RtmpStatusView, TelegramStatusView } from '../contracts/socket-events.js';
import { SocketAudience } from './socket-audience.js';
import { WaveEvents } from '../bus/wave-events.js';
import { DestinationsStatusSource, NowPlayingSource, RtmpStatusSource, TelegramStatusSource } from './status-sources.js';
import type { DestinationStatus } from '../contracts/destinations.js';
import { STATUS_MAX_AGE_MS, StreamingStatusService, toPublicStatus } from './streaming-status.service.js';

class FakeRtmp extends RtmpStatusSource {
  reads = 0;
  view: RtmpStatusView = { state: 'running', publishers: 0, port: 1935, detail: null };
  async read() {
    this.reads += 1;
    return { ...this.view };
  }
}
class FakeTelegram extends TelegramStatusSource {
  view: TelegramStatusView = { state: 'online', connection: 'connected', source: 'playlist', reconnects: 0, detail: null };
  constructor(private readonly nowPlaying: FakeNowPlaying) {
    super();
  }
  async read() {
    // The PM2 read answers after a turn of the event loop; its word on the daemon reaches now playing's owner.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.view.state === 'stopped') this.nowPlaying.value = null;
    return { ...this.view };
  }
}
/** Now playing's owner: PM2 finding the daemon stopped (the Telegram read) clears it, as NowPlayingService's rule does. */
class FakeNowPlaying extends NowPlayingSource {
  value: NowPlaying | null = {
    trackId: 't1',
    title: 'Song',
    artist: 'Band',
    duration: 3,
    startedAt: '2026-01-01T00:00:00.000Z',
    reason: 'playlist',
    playlistId: null,
    next: null,
  };
  read() {
    return this.value ? { ...this.value } : null;
  }
}

class FakeDestinations extends DestinationsStatusSource {
  value: DestinationStatus[] = [];
  async read() {
    return structuredClone(this.value);
  }
}

const built: Array<TestService<StreamingStatusService>> = [];

/** The service on the status sources' fakes; `emit` watches the bus it pushes on. */
async function setup() {
  const rtmp = new FakeRtmp();
  const nowPlaying = new FakeNowPlaying();
  const telegram = new FakeTelegram(nowPlaying);
  const destinations = new FakeDestinations();
  const ctx = await newTestService(StreamingStatusService, {
    providers: [
      { provide: RtmpStatusSource, useValue: rtmp },
      { provide: TelegramStatusSource, useValue: telegram },
      { provide: NowPlayingSource, useValue: nowPlaying },
      { provide: DestinationsStatusSource, useValue: destinations },
      SocketAudience,
    ],
  });
  built.push(ctx);
  const emit = vi.spyOn(ctx.get(WaveEvents), 'emit');
  return { rtmp, telegram, destinations, emit, service: ctx.sut };
}

describe('StreamingStatusService', () => {
  afterEach(async () => {
    for (const ctx of built.splice(0)) await ctx.close();
  });

  it('shares one read between concurrent callers and reuses it briefly', async () => {
    const { rtmp, service } = await setup();
    await Promise.all([service.current(), service.current(), service.current()]);
    await service.current();
    expect(rtmp.reads).toBe(1);
  });

  it('reads again once the last read is older than STATUS_MAX_AGE_MS', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { rtmp, service } = await setup();
      await service.current();
      vi.setSystemTime(Date.now() + STATUS_MAX_AGE_MS + 1);
      await service.current();
      expect(rtmp.reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops the last read on a state-changing event and pushes the fresh status once per burst', async () => {
    const { rtmp, emit, service } = await setup();
    await service.current();
    rtmp.view = { ...rtmp.view, publishers: 1 };
    service.stateChanged();
    service.stateChanged();
    expect((await service.current()).rtmp.publishers).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));
    expect(emit).toHaveBeenCalledWith(
      'streaming.status.changed',
      expect.objectContaining({ rtmp: expect.objectContaining({ publishers: 1 }) }),
    );
  });

  it('pushes nothing when the services are as they were at the last push', async () => {
    const { rtmp, emit, service } = await setup();
    service.stateChanged();
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));
    service.stateChanged();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emit).toHaveBeenCalledTimes(1);
    rtmp.view = { ...rtmp.view, state: 'stopped' };
    service.stateChanged();
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(2));
  });

  it('does not cache a read that started before a change', async () => {
    const { rtmp, service } = await setup();
    const before = service.current();
    rtmp.view = { ...rtmp.view, state: 'stopped' };
    service.stateChanged();
    await before;
    expect((await service.current()).rtmp.state).toBe('stopped');
  });

  it("reads now playing after the daemon's state, so a PM2 read finding it stopped shows no track; a public view without internals", async () => {
    const { telegram, service } = await setup();
    expect((await service.current()).nowPlaying).toEqual({
      trackId: 't1',
      title: 'Song',
      artist: 'Band',
      duration: 3,
      startedAt: '2026-01-01T00:00:00.000Z',
      reason: 'playlist',
      playlistId: null,
      next: null,
    });
    telegram.view = { ...telegram.view, state: 'stopped', connection: 'stopped' };
    service.stateChanged();
    const status = await service.current();
    expect(status.nowPlaying).toBeNull();
    expect(toPublicStatus(status)).toEqual({ onAir: false, live: false, nowPlaying: null, listeners: 0, updatedAt: status.updatedAt });
  });

  it('shows the destinations and pushes a change of their connections', async () => {
    const { destinations, emit, service } = await setup();
    const connection = {
      id: 'telegram',
      state: 'connecting' as const,
      attempt: 0,
      since: '2026-01-01T00:00:00.000Z',
      uptimeSec: 0,
      bitrateKbps: 0,
      bytesSent: 0,
      reconnects: 0,
      lastError: null,
    };
    destinations.value = [{ id: 'telegram', kind: 'telegram', name: 'Telegram', enabled: true, connection }];
    expect((await service.current()).destinations).toEqual(destinations.value);
    service.stateChanged();
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));
    destinations.value = [{ ...destinations.value[0], connection: { ...connection, state: 'live' } }];
    service.stateChanged();
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(2));
    expect(emit).toHaveBeenLastCalledWith(
      'streaming.status.changed',
      expect.objectContaining({ destinations: [expect.objectContaining({ connection: expect.objectContaining({ state: 'live' }) })] }),
    );
  });
});
