import { describe, expect, it } from 'vitest';
import { liveDecoderArgs, liveLoudnessFilter, pipedFlvDecoderArgs, pipedRadioDecoderArgs } from './pcm-decoder.js';

const FORMAT = { sampleRate: 44100, channels: 2 };

describe('live decoder loudness control', () => {
  it('levels towards the target: the makeup puts the compressor output (~−39 LUFS) at the target, then a limiter', () => {
    expect(liveLoudnessFilter(-16)).toBe(
      'acompressor=threshold=0.01:ratio=20:attack=5:release=200:makeup=14.13:detection=rms:knee=2,alimiter=limit=0.9:attack=5:release=50:level=false',
    );
    expect(liveLoudnessFilter(-23)).toContain('makeup=6.31:');
    expect(liveLoudnessFilter(-9)).toContain('makeup=31.62:');
  });

  it('is in every live decoder when on, between the input and the PCM output, and in none when off', () => {
    for (const args of [
      liveDecoderArgs('rtmp://127.0.0.1:1935/live/abc', FORMAT, -16),
      pipedFlvDecoderArgs(FORMAT, -16),
      pipedRadioDecoderArgs(FORMAT, -16),
    ]) {
      const af = args.indexOf('-af');
      expect(af).toBeGreaterThan(args.indexOf('-i'));
      expect(args[af + 1]).toBe(liveLoudnessFilter(-16));
      expect(af).toBeLessThan(args.indexOf('s16le'));
    }
    for (const args of [
      liveDecoderArgs('rtmp://127.0.0.1:1935/live/abc', FORMAT),
      pipedFlvDecoderArgs(FORMAT),
      pipedRadioDecoderArgs(FORMAT, null),
    ])
      expect(args).not.toContain('-af');
  });
});
