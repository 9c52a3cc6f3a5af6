import { describe, expect, it } from 'vitest';
import { bytesForMs, msForBytes, PcmBuffer, PcmClock } from './pcm.js';

const FORMAT = { sampleRate: 44100, channels: 2 };

describe('PcmClock', () => {
  it('owes what is due by now plus the lead, frame-aligned', () => {
    const clock = new PcmClock(FORMAT, 1000, 60);
    // At origin only the 60 ms lead is due: 2646 frames of 4 bytes.
    expect(clock.bytesDue(1000)).toBe(2646 * 4);
    clock.advance(2646 * 4);
    expect(clock.bytesDue(1000)).toBe(0);
    // 10 ms later: 441 more frames.
    expect(clock.bytesDue(1010)).toBe(441 * 4);
  });

  it('stays exact over long runs (no drift from rounding per tick)', () => {
    const clock = new PcmClock(FORMAT, 0, 0);
    for (let t = 0; t <= 3_600_000; t += 7) clock.advance(clock.bytesDue(t));
    expect(clock.position).toBe(Math.floor((3_600_000 - (3_600_000 % 7)) * 44.1));
  });

  it('skips the audio of a long stall instead of bursting it out', () => {
    const clock = new PcmClock(FORMAT, 0, 0, 1000);
    expect(clock.bytesDue(5000)).toBe(44100 * 4);
    expect(clock.skippedFrames).toBe(4 * 44100);
    clock.advance(44100 * 4);
    expect(clock.position).toBe(5 * 44100);
  });

  it('maps frames to their due time', () => {
    const clock = new PcmClock(FORMAT, 500, 60);
    expect(clock.timeOfFrame(44100)).toBe(1500);
    expect(bytesForMs(FORMAT, 1000)).toBe(176400);
    expect(msForBytes(FORMAT, 176400)).toBe(1000);
  });
});

describe('PcmBuffer', () => {
  it('reads whole frames across chunks in order', () => {
    const buffer = new PcmBuffer(4);
    buffer.push(Buffer.from([1, 2, 3]));
    expect(buffer.read(100)).toBeNull();
    buffer.push(Buffer.from([4, 5, 6, 7, 8, 9]));
    expect([...buffer.read(100)!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(buffer.length).toBe(1);
  });

  it('never returns more than asked, rounded down to frames', () => {
    const buffer = new PcmBuffer(4);
    buffer.push(Buffer.alloc(40, 1));
    expect(buffer.read(10)!.length).toBe(8);
    expect(buffer.readable).toBe(32);
  });

  it('drops the oldest audio beyond its cap, keeping frames aligned', () => {
    const buffer = new PcmBuffer(4, 8);
    buffer.push(Buffer.from([1, 1, 1, 1, 2, 2, 2, 2]));
    buffer.push(Buffer.from([3, 3, 3, 3, 4, 4]));
    expect(buffer.dropped).toBe(8);
    expect([...buffer.read(100)!]).toEqual([3, 3, 3, 3]);
  });
});
