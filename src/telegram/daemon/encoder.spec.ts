import { describe, expect, it } from 'vitest';
import { encoderArgs, EncoderProgress, ProgressParser } from './encoder.js';

const settings = {
  coverClip: '/data/cache/cover.mp4',
  format: { sampleRate: 44100, channels: 2 },
  audioBitrateKbps: 160,
  outputTsOffsetMs: 0,
};

describe('encoderArgs', () => {
  it('loops the cover clip by stream copy and encodes only the piped PCM', () => {
    const args = encoderArgs(settings);
    const joined = args.join(' ');
    expect(joined).toContain('-re -stream_loop -1 -i /data/cache/cover.mp4');
    expect(joined).toContain('-f s16le -ar 44100 -ac 2 -i pipe:0');
    expect(joined).toContain('-c:v copy');
    expect(joined).toContain('-c:a aac -b:a 160k');
    // FLV on fd 3, published by the daemon itself: no URL (it would carry the key) among the arguments.
    expect(args.slice(-4)).toEqual(['flv', '-flvflags', 'no_duration_filesize', 'pipe:3']);
    expect(joined).not.toMatch(/rtmps?:/);
    expect(args).not.toContain('-output_ts_offset');
    // Ends when the PCM ends (the daemon is gone), though the cover loops for ever.
    expect(args).toContain('-shortest');
    // No -re before the PCM input: the feeder paces it.
    expect(args.slice(args.indexOf(settings.coverClip), args.indexOf('pipe:0'))).not.toContain('-re');
  });

  it('offsets output timestamps when asked (to reach the 24-bit wrap in tests)', () => {
    const args = encoderArgs({ ...settings, outputTsOffsetMs: 16_770_000 });
    expect(args[args.indexOf('-output_ts_offset') + 1]).toBe('16770.000');
    expect(args.indexOf('-output_ts_offset')).toBeLessThan(args.indexOf('-f', args.indexOf('pipe:0')));
  });
});

describe('ProgressParser', () => {
  it('reports each -progress block, in any chunking', () => {
    const seen: EncoderProgress[] = [];
    const parser = new ProgressParser((p) => seen.push(p));
    const text =
      'frame=7\nbitrate= 176.6kbits/s\ntotal_size=26508\nout_time_us=1201000\nout_time_ms=1201000\nspeed=1.19x\nprogress=continue\nbitrate=N/A\ntotal_size=30000\nprogress=end\n';
    for (let i = 0; i < text.length; i += 7) parser.push(text.slice(i, i + 7));
    expect(seen).toEqual([
      { totalSize: 26508, outTimeMs: 1201, bitrateKbps: 176.6, speed: 1.19, done: false },
      { totalSize: 30000, outTimeMs: 0, bitrateKbps: 0, speed: 0, done: true },
    ]);
  });
});
