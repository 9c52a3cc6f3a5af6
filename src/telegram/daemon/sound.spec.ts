import { describe, expect, it } from 'vitest';
import type { TrackSound } from '../../contracts/daemon-messages.js';
import { cueInputArgs, gainFilter, mayCrossfade, mixCrossfade, trackShaping } from './sound.js';

const measured = (integratedLufs: number, truePeakDbtp: number, cues: Partial<TrackSound> = {}): TrackSound => ({
  loudness: { integratedLufs, rangeLu: 3, truePeakDbtp },
  cueIn: null,
  cueOut: null,
  ...cues,
});
const ON = { normalize: true, loudnessTarget: -16 };

describe('trackShaping', () => {
  it.each([
    ['a quiet track is raised to the target', measured(-30, -20), ON, { gainDb: 14, limit: false }],
    ['a loud track is lowered', measured(-8, -0.5), ON, { gainDb: -8, limit: false }],
    ['a track at the target is left as it is', measured(-16, -3), ON, { gainDb: 0, limit: false }],
    ['a raise that would pass the ceiling gets the limiter', measured(-24, -6), ON, { gainDb: 8, limit: true }],
    ['the target is the setting', measured(-20, -10), { normalize: true, loudnessTarget: -23 }, { gainDb: -3, limit: false }],
    ['a raise is at most 20 dB', measured(-50, -40), ON, { gainDb: 20, limit: false }],
    ['normalization off: no gain', measured(-30, -20), { normalize: false, loudnessTarget: -16 }, { gainDb: 0, limit: false }],
    ['not measured yet: no gain', { loudness: null, cueIn: null, cueOut: null }, ON, { gainDb: 0, limit: false }],
    ['no sound at all: no gain', undefined, ON, { gainDb: 0, limit: false }],
  ])('%s', (_name, sound, settings, expected) => {
    expect(trackShaping(sound, settings)).toMatchObject(expected);
  });

  it.each([
    ['no cues: the whole file', {}, { startSec: 0, durationSec: null }],
    ['cue-in and cue-out', { cueIn: 3, cueOut: 7.5 }, { startSec: 3, durationSec: 4.5 }],
    ['cue-out only', { cueOut: 12.25 }, { startSec: 0, durationSec: 12.25 }],
    ['cue-in only', { cueIn: 0.8 }, { startSec: 0.8, durationSec: null }],
    ['a cue-out before the cue-in is ignored', { cueIn: 5, cueOut: 4 }, { startSec: 5, durationSec: null }],
  ])('%s', (_name, cues, expected) => {
    expect(trackShaping(measured(-16, -3, cues), ON)).toMatchObject(expected);
  });
});

describe('decoder arguments', () => {
  it('seeks to the cue-in and stops at the cue-out, before the input', () => {
    expect(cueInputArgs(trackShaping(measured(-16, -3, { cueIn: 3, cueOut: 7.5 }), ON))).toEqual(['-ss', '3.000', '-t', '4.500']);
    expect(cueInputArgs(trackShaping(measured(-16, -3), ON))).toEqual([]);
  });

  it('applies the gain, with the limiter (no auto level) only where the peak needs it', () => {
    expect(gainFilter(trackShaping(measured(-16, -3), ON))).toBeNull();
    expect(gainFilter(trackShaping(measured(-30, -20), ON))).toBe('volume=14.00dB');
    expect(gainFilter(trackShaping(measured(-24, -6), ON))).toBe('volume=8.00dB,alimiter=limit=0.7943:attack=5:release=50:level=0');
  });
});

describe('mayCrossfade', () => {
  it.each([
    ['two songs', 'rotation', 'playlist', { crossfadeSec: 2, crossfadeJingles: false }, true],
    ['crossfade 0', 'rotation', 'rotation', { crossfadeSec: 0, crossfadeJingles: true }, false],
    ['into a jingle, jingles crossfaded', 'rotation', 'jingle', { crossfadeSec: 2, crossfadeJingles: true }, true],
    ['into a jingle, jingles clean', 'rotation', 'jingle', { crossfadeSec: 2, crossfadeJingles: false }, false],
    ['out of an hourly ID, jingles clean', 'hourly', 'request', { crossfadeSec: 2, crossfadeJingles: false }, false],
    ['library fallback tracks (no reason)', undefined, undefined, { crossfadeSec: 2, crossfadeJingles: false }, true],
  ] as const)('%s', (_name, outgoing, incoming, settings, expected) => {
    expect(mayCrossfade(outgoing, incoming, settings)).toBe(expected);
  });
});

describe('mixCrossfade', () => {
  const pcm = (...samples: number[]) => {
    const buffer = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => buffer.writeInt16LE(s, i * 2));
    return buffer;
  };
  const samples = (buffer: Buffer) => Array.from({ length: buffer.length / 2 }, (_, i) => buffer.readInt16LE(i * 2));

  it('starts on the outgoing track, ends on the incoming one, equal power in the middle (stereo frames share a gain)', () => {
    const out = pcm(10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000);
    const inc = pcm(-10000, -10000, -10000, -10000, -10000, -10000, -10000, -10000);
    // 4 stereo frames of a 4-frame fade: progress 0, 1/4, 1/2, 3/4.
    const mixed = samples(mixCrossfade(out, inc, 2, 0, 4));
    expect(mixed.slice(0, 2)).toEqual([10000, 10000]);
    expect(mixed[4]).toBe(0); // cos 45° − sin 45°
    expect(mixed[6]).toBeLessThan(0);
    // Continued where the previous read left off: the last frame is the incoming one at full level.
    expect(samples(mixCrossfade(pcm(10000, 10000), pcm(-10000, -10000), 2, 4, 4))).toEqual([-10000, -10000]);
  });

  it('clips the sum to 16 bits', () => {
    expect(samples(mixCrossfade(pcm(30000, -30000), pcm(30000, -30000), 2, 1, 2))).toEqual([32767, -32768]);
  });
});
