import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import { describe, expect, it, vi } from 'vitest';
import type { Pm2ProcessInfo, Pm2Repository } from '../repositories/pm2.repository.js';
import { Pm2HealthIndicator } from './pm2.health.js';

function indicator(pm2: Partial<Pm2Repository>) {
  return new Pm2HealthIndicator({ home: '/tmp/pm2', ...pm2 } as Pm2Repository, new HealthIndicatorService());
}

describe('Pm2HealthIndicator', () => {
  it('is up when no PM2 daemon runs (Wave launches one with the stream), without launching one', async () => {
    const list = vi.fn();
    expect(await indicator({ isDaemonRunning: async () => false, list }).isResponsive()).toEqual({ pm2: { status: 'up', daemon: 'not running', home: '/tmp/pm2' } });
    expect(list).not.toHaveBeenCalled();
  });

  it("is up with the Telegram daemon's PM2 state when PM2 answers", async () => {
    const processes = [{ name: 'telegram-stream', status: 'online' } as Pm2ProcessInfo];
    expect(await indicator({ isDaemonRunning: async () => true, list: async () => processes }).isResponsive()).toEqual({
      pm2: { status: 'up', daemon: 'running', home: '/tmp/pm2', 'telegram-stream': 'online' },
    });
  });

  it('is down, within 3 s, when a running daemon does not answer', async () => {
    vi.useFakeTimers();
    try {
      const result = indicator({ isDaemonRunning: async () => true, list: () => new Promise(() => undefined) }).isResponsive();
      await vi.advanceTimersByTimeAsync(3000);
      expect(await result).toEqual({ pm2: { status: 'down', code: 'pm2_not_answering', daemon: 'not answering', home: '/tmp/pm2', message: 'PM2 did not answer within 3 s' } });
    } finally {
      vi.useRealTimers();
    }
  });
});
