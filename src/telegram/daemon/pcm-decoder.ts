import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { ManagedProcess, ProcessRepository } from '../../repositories/process.repository.js';
import { FETCH_PROTOCOL_WHITELIST } from '../stream-url.js';
import { frameBytes, PcmBuffer, PcmFormat } from './pcm.js';
import { cueInputArgs, gainFilter, type TrackShaping } from './sound.js';

/** Every decoder: no banner, no stdin (it is the daemon's), errors only on stderr. */
const QUIET_ARGS = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

/** Output half shared by every decoder: raw PCM on stdout, flushed per packet (a pipe would hold it back). */
function pcmOutputArgs(format: PcmFormat): string[] {
  return ['-vn', '-f', 's16le', '-ar', String(format.sampleRate), '-ac', String(format.channels), '-flush_packets', '1', 'pipe:1'];
}

/** A playlist file decoded as fast as the reader takes it: its cued part, at its gain (see sound.ts). */
export function fileDecoderArgs(path: string, format: PcmFormat, shaping?: TrackShaping): string[] {
  const filter = shaping ? gainFilter(shaping) : null;
  return [
    ...QUIET_ARGS,
    ...(shaping ? cueInputArgs(shaping) : []),
    '-i',
    path,
    ...(filter ? ['-af', filter] : []),
    ...pcmOutputArgs(format),
  ];
}

/**
 * The real-time loudness control of a live source (a DJ, a radio URL), towards `targetLufs`: a leveling compressor
 * (threshold −40 dBFS, ratio 20: whatever comes in above the threshold comes out within ~2 dB) with the makeup that
 * puts its output at the target, then a limiter. No look-ahead but the limiter's 5 ms, so it adds no latency worth
 * measuring (loudnorm looks 3 s ahead; dynaudnorm added ~250 ms even with 50 ms frames). A −30 LUFS DJ comes out at
 * −16.1 for a −16 target (test/medium/telegram-daemon-loudness.spec.ts); inputs 20 dB apart land within ~2.5 LU.
 */
export function liveLoudnessFilter(targetLufs: number): string {
  // With no makeup the compressor's output sits at ~−39 LUFS (ebur128) for any input above the threshold.
  const makeup = 10 ** ((targetLufs + 39) / 20);
  return [
    `acompressor=threshold=0.01:ratio=20:attack=5:release=200:makeup=${makeup.toFixed(2)}:detection=rms:knee=2`,
    'alimiter=limit=0.9:attack=5:release=50:level=false',
  ].join(',');
}

/** A live decoder's filter: the loudness control when it is on (`loudnessTargetLufs` set), none otherwise. */
function liveFilterArgs(loudnessTargetLufs: number | null): string[] {
  return loudnessTargetLufs === null ? [] : ['-af', liveLoudnessFilter(loudnessTargetLufs)];
}

/**
 * A radio stream the daemon fetches itself and pipes into stdin (its URL may hold a password or a token).
 * `pipe` is the only protocol: a demuxer that finds URLs in what it reads (a playlist) cannot fetch them.
 */
export function pipedRadioDecoderArgs(format: PcmFormat, loudnessTargetLufs: number | null = null): string[] {
  return [...QUIET_ARGS, '-protocol_whitelist', 'pipe', '-i', 'pipe:0', ...liveFilterArgs(loudnessTargetLufs), ...pcmOutputArgs(format)];
}

/** Input flags that let ffmpeg start decoding a live FLV stream at once (~0.4 s to the first PCM instead of ~5 s). */
const LOW_LATENCY_INPUT_ARGS = ['-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0'];

/** An RTMP stream the daemon plays itself (a relay or radio URL: its last segment is a key), as FLV on stdin, read with the live flags. */
export function pipedFlvDecoderArgs(format: PcmFormat, loudnessTargetLufs: number | null = null): string[] {
  return [
    ...QUIET_ARGS,
    '-protocol_whitelist',
    'pipe',
    ...LOW_LATENCY_INPUT_ARGS,
    '-f',
    'flv',
    '-i',
    'pipe:0',
    ...liveFilterArgs(loudnessTargetLufs),
    ...pcmOutputArgs(format),
  ];
}

/**
 * Wave's own live RTMP ingest, read by ffmpeg directly (its stream names are publisherIds, no keys), with
 * the low-latency flags that make its first PCM come in ~0.4 s instead of ~5 s.
 */
export function liveDecoderArgs(url: string, format: PcmFormat, loudnessTargetLufs: number | null = null): string[] {
  return [
    ...QUIET_ARGS,
    '-protocol_whitelist',
    FETCH_PROTOCOL_WHITELIST,
    ...LOW_LATENCY_INPUT_ARGS,
    '-rw_timeout',
    '15000000',
    '-i',
    url,
    ...liveFilterArgs(loudnessTargetLufs),
    ...pcmOutputArgs(format),
  ];
}

export interface PcmDecoderOptions {
  /** Pause reading stdout above this many buffered bytes (back-pressure paces the decoder). */
  highWaterBytes?: number;
  /** Or: keep at most this many bytes, dropping the oldest (live sources). */
  capBytes?: number;
  /** Writes the input into the decoder's stdin (a source fetched by the daemon); without it stdin is closed at once. */
  feed?: (stdin: Writable) => void;
}

export interface DecoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr. */
  stderr: string;
  /** Bytes of PCM it produced. */
  produced: number;
}

/**
 * One ffmpeg decoding to PCM into a buffer. Emits `first-data` with its first PCM and `exit` (DecoderExit) when the
 * process ends; `finished`
 * is true once it has ended and every whole frame has been read.
 */
export class PcmDecoder extends EventEmitter {
  private child: ManagedProcess | null = null;
  private readonly buffer: PcmBuffer;
  private readonly highWater: number;
  private paused = false;
  private exited = false;
  private stopped = false;
  private producedBytes = 0;
  private stderrTail = '';

  constructor(
    private readonly processes: ProcessRepository,
    private readonly ffmpegPath: string,
    private readonly args: string[],
    readonly format: PcmFormat,
    options: PcmDecoderOptions = {},
  ) {
    super();
    this.buffer = new PcmBuffer(frameBytes(format), options.capBytes);
    this.highWater = options.highWaterBytes ?? Infinity;
    this.feed = options.feed;
  }

  private readonly feed?: (stdin: Writable) => void;

  get available(): number {
    return this.buffer.readable;
  }

  /** Ended and drained: nothing more will come. */
  get finished(): boolean {
    return this.exited && this.buffer.readable === 0;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  start(): void {
    if (this.child || this.stopped) return;
    const child = this.processes.spawn(this.ffmpegPath, this.args);
    this.child = child;
    child.stdin.on('error', () => undefined);
    if (this.feed) this.feed(child.stdin);
    else child.stdin.end();
    child.stdout.on('data', (data: Buffer) => {
      if (this.producedBytes === 0) this.emit('first-data');
      this.producedBytes += data.length;
      this.buffer.push(data);
      if (this.buffer.length > this.highWater && !this.paused) {
        this.paused = true;
        child.stdout.pause();
      }
    });
    child.stderr.on('data', (data: Buffer) => {
      this.stderrTail = (this.stderrTail + data.toString()).slice(-2000);
    });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      this.exited = true;
      this.emit('exit', { code, signal, stderr: this.stderrTail.trim(), produced: this.producedBytes } satisfies DecoderExit);
    };
    child.once('error', (error) => {
      this.stderrTail += `\n${error.message}`;
      finish(null, null);
    });
    // 'exit' can come before stdout has been read to its end; wait for both.
    let stdoutEnded = false;
    let exitArgs: [number | null, NodeJS.Signals | null] | null = null;
    child.stdout.once('end', () => {
      stdoutEnded = true;
      if (exitArgs) finish(...exitArgs);
    });
    child.stdout.once('close', () => {
      stdoutEnded = true;
      if (exitArgs) finish(...exitArgs);
    });
    child.once('exit', (code, signal) => {
      exitArgs = [code, signal];
      if (stdoutEnded || this.stopped) finish(code, signal);
    });
  }

  read(maxBytes: number): Buffer | null {
    const data = this.buffer.read(maxBytes);
    if (this.paused && this.buffer.length <= this.highWater / 2 && this.child) {
      this.paused = false;
      this.child.stdout.resume();
    }
    return data;
  }

  /** Kills the decoder and forgets what it buffered. */
  stop(): void {
    this.stopped = true;
    this.buffer.clear();
    if (this.child && !this.exited) {
      this.child.stdout.resume();
      this.child.kill('SIGKILL');
    }
  }
}
