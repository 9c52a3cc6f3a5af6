import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakePm2 } from '../../test/fakes/pm2.repository.fake.js';
import { DAEMON_PROCESS_NAME } from '../contracts/daemon-messages.js';
import { RELOAD_DEBOUNCE_MS, TelegramPlaylistListener } from './telegram-playlist.listener.js';

describe('TelegramPlaylistListener (tracks.updated → reload-playlist; fake PM2, fake timers)', () => {
  let ctx: TestService<TelegramPlaylistListener>;
  let pm2: FakePm2;
  let listener: TelegramPlaylistListener;

  beforeEach(async () => {
    ctx = await newTestService(TelegramPlaylistListener);
    ({ sut: listener } = ctx);
    pm2 = ctx.fakes.pm2;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  afterEach(async () => {
    await ctx.close(); // the listener's onModuleDestroy runs
    vi.useRealTimers();
  });

  const online = () =>
    pm2.apps.set(DAEMON_PROCESS_NAME, {
      name: DAEMON_PROCESS_NAME,
      pmId: 3,
      status: 'online',
      pid: 1,
      startedAt: 0,
      restarts: 0,
      unstableRestarts: 0,
      memoryBytes: 0,
      cpuPercent: 0,
    });

  it('asks a running daemon to reload once per burst of library changes', async () => {
    online();
    for (let i = 0; i < 3; i++) listener.libraryChanged();
    await vi.advanceTimersByTimeAsync(RELOAD_DEBOUNCE_MS - 1);
    expect(pm2.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(pm2.sent).toEqual([{ pmId: 3, topic: 'wave', data: { command: 'reload-playlist' } }]);
    listener.libraryChanged();
    await vi.advanceTimersByTimeAsync(RELOAD_DEBOUNCE_MS);
    expect(pm2.sent).toHaveLength(2);
  });

  it('tells a daemon that is not online nothing, and a PM2 that fails is logged, not thrown', async () => {
    listener.libraryChanged();
    await vi.advanceTimersByTimeAsync(RELOAD_DEBOUNCE_MS);
    expect(pm2.sent).toEqual([]);
    online();
    pm2.sendFails = new Error('PM2 did not answer');
    await expect(listener.reload()).resolves.toBeUndefined();
    expect(pm2.sent).toEqual([]);
  });
});
