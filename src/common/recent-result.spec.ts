import { describe, expect, it, vi } from 'vitest';
import { RecentResult } from './recent-result.js';

describe('RecentResult', () => {
  it('joins a read in flight and, with maxAge 0, reads again once it settled', async () => {
    let reads = 0;
    const recent = new RecentResult(0, async () => ++reads);
    expect(await Promise.all([recent.get(), recent.get(), recent.get()])).toEqual([1, 1, 1]);
    expect(await recent.get()).toBe(2);
  });

  it('reuses a settled read until maxAge, unless forgotten', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let reads = 0;
      const recent = new RecentResult(1000, async () => ++reads);
      await recent.get();
      expect(await recent.get()).toBe(1);
      vi.setSystemTime(Date.now() + 1001);
      expect(await recent.get()).toBe(2);
      recent.forget();
      expect(await recent.get()).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never reuses a failed read, and a read forgotten while in flight is not kept', async () => {
    let reads = 0;
    const recent = new RecentResult(1000, async () => {
      reads += 1;
      if (reads === 1) throw new Error('down');
      return reads;
    });
    await expect(recent.get()).rejects.toThrow('down');
    const inFlight = recent.get();
    recent.forget();
    expect(await inFlight).toBe(2);
    expect(await recent.get()).toBe(3);
  });

  it('in background mode answers with the expired read while one fresh read runs, then with the fresh one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let reads = 0;
      let release: () => void = () => undefined;
      const recent = new RecentResult(
        1000,
        () => {
          reads += 1;
          const value = reads;
          return value === 1 ? Promise.resolve(value) : new Promise<number>((resolve) => (release = () => resolve(value)));
        },
        { refreshInBackground: true },
      );
      expect(await recent.get()).toBe(1);
      vi.setSystemTime(Date.now() + 1001);
      expect(await Promise.all([recent.get(), recent.get()])).toEqual([1, 1]);
      expect(reads).toBe(2);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await recent.get()).toBe(2);
      recent.forget();
      const waited = recent.get();
      release();
      expect(await waited).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
