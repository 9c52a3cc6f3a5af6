import type { PcmFormat } from './pcm.js';

export interface EncoderSettings {
  /** The looped cover clip (see cover.ts), stream-copied: the video costs almost nothing. */
  coverClip: string;
  format: PcmFormat;
  audioBitrateKbps: number;
  /** Shift the output timestamps (tests start near RTMP's 24-bit wrap at 16,777,215 ms). */
  outputTsOffsetMs: number;
}

/** The encoder's FLV goes to this pipe (fd 3), which the daemon's own RTMP client publishes. */
export const ENCODER_OUTPUT = 'pipe:3';

/**
 * The one encoder for the whole session: the cover clip looped in real time (-re) and PCM from stdin
 * (paced by the feeder, so no -re there), AAC, FLV on fd 3; it ends with the PCM. `-progress pipe:1`
 * reports every second. The publish URL is not here: it holds the stream key, and ffmpeg's arguments
 * are readable by every local user (ps, /proc/<pid>/cmdline), so the daemon publishes the FLV itself.
 */
export function encoderArgs(settings: EncoderSettings): string[] {
  const { format } = settings;
  const offset = settings.outputTsOffsetMs > 0 ? ['-output_ts_offset', (settings.outputTsOffsetMs / 1000).toFixed(3)] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'level+info',
    '-nostats',
    '-progress',
    'pipe:1',
    '-stats_period',
    '1',
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    settings.coverClip,
    '-thread_queue_size',
    '1024',
    // Raw PCM needs no probing; probed, ffmpeg reads ~1 s of it before it starts the cover's -re clock, and FLV
    // interleaving then holds every audio packet that long behind its video (measured: 1.0 s → 0.01 s).
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-f',
    's16le',
    '-ar',
    String(format.sampleRate),
    '-ac',
    String(format.channels),
    '-i',
    'pipe:0',
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-b:a',
    `${settings.audioBitrateKbps}k`,
    '-ar',
    String(format.sampleRate),
    '-ac',
    '2',
    // The looped cover never ends: without this, an encoder whose daemon died (stdin closed) would go on
    // pushing the cover to the ingest for good, holding the session a restarted daemon needs.
    '-shortest',
    ...offset,
    '-f',
    'flv',
    '-flvflags',
    'no_duration_filesize',
    ENCODER_OUTPUT,
  ];
}

export interface EncoderProgress {
  totalSize: number;
  outTimeMs: number;
  bitrateKbps: number;
  speed: number;
  done: boolean;
}

/** Parses ffmpeg's `-progress` key=value stream; calls `onProgress` at the end of each block. */
export class ProgressParser {
  private pending = '';
  private block: Record<string, string> = {};

  constructor(private readonly onProgress: (progress: EncoderProgress) => void) {}

  push(text: string): void {
    this.pending += text;
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      this.block[key] = value;
      if (key === 'progress') {
        this.onProgress(toProgress(this.block));
        this.block = {};
      }
    }
  }
}

function toProgress(block: Record<string, string>): EncoderProgress {
  const number = (value: string | undefined) => {
    const n = Number.parseFloat(value ?? '');
    return Number.isFinite(n) ? n : 0;
  };
  return {
    totalSize: number(block.total_size),
    // ffmpeg's out_time_ms is in microseconds (a long-standing misnomer); out_time_us says so.
    outTimeMs: number(block.out_time_us ?? block.out_time_ms) / 1000,
    bitrateKbps: number(block.bitrate?.replace('kbits/s', '')),
    speed: number(block.speed?.replace('x', '')),
    done: block.progress === 'end',
  };
}
