import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 1 s up to 30 s, and starts over after a reset', () => {
    const backoff = new Backoff();
    expect(Array.from({ length: 8 }, () => backoff.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoff.attempt).toBe(8);
    backoff.reset();
    expect(backoff.next()).toBe(1000);
  });
});
