import { ChildProcess, spawn } from 'node:child_process';

/** 10 ms of mono s16 at 44.1 kHz. */
const WINDOW_SAMPLES = 441;
/** Windows whose zero crossings are summed for a frequency: 50 ms, 10 Hz resolution. */
const PITCH_WINDOWS = 5;
/** Below this RMS (of full scale) a window is silence. */
const SILENCE_RMS = 0.01;

export interface HeardWindow {
  /** Wall-clock ms when the window's PCM reached the listener. */
  at: number;
  /** Of full scale, 0–1. */
  rms: number;
  /** Dominant frequency over the last 50 ms (zero crossings), 0 in silence. */
  hz: number;
}

/** A run of windows of one tone (or of silence: tone null). */
export interface HeardSegment {
  tone: number | null;
  from: number;
  to: number;
}

/**
 * A listener on the Telegram-side ingest (the low-latency flags from DESIGN.md) that hears which test tone plays:
 * each track is a sine of its own frequency, so the order of tones on the air is the order of tracks, and a window
 * below SILENCE_RMS is a gap.
 */
export class ToneListener {
  readonly windows: HeardWindow[] = [];
  private readonly child: ChildProcess;
  private pending = Buffer.alloc(0);
  private readonly crossings: number[] = [];
  private lastSample = 0;

  constructor(url: string) {
    this.child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-fflags',
        'nobuffer',
        '-probesize',
        '32768',
        '-analyzeduration',
        '0',
        '-rw_timeout',
        '5000000',
        '-i',
        url,
        '-vn',
        '-f',
        's16le',
        '-ar',
        '44100',
        '-ac',
        '1',
        '-flush_packets',
        '1',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.child.stdout!.on('data', (data: Buffer) => this.onData(Date.now(), data));
  }

  get receivedAny(): boolean {
    return this.windows.length > 0;
  }

  /**
   * The tones heard since `since` (wall-clock ms), each window mapped to the nearest of `tones` (within 15 %) or to
   * silence, as runs; runs shorter than `minMs` (a tone's first 50 ms, an AAC frame across a change) merge into their
   * neighbours.
   */
  segments(tones: readonly number[], since = 0, minMs = 150): HeardSegment[] {
    const runs: HeardSegment[] = [];
    for (const window of this.windows) {
      if (window.at < since) continue;
      const tone = window.rms < SILENCE_RMS ? null : nearest(tones, window.hz);
      const last = runs.at(-1);
      if (last && last.tone === tone) last.to = window.at;
      else runs.push({ tone, from: window.at, to: window.at });
    }
    const kept: HeardSegment[] = [];
    for (const run of runs) {
      const last = kept.at(-1);
      if (last && (run.to - run.from < minMs || last.tone === run.tone)) last.to = run.to;
      else kept.push({ ...run });
    }
    // A short first run merged into nothing: drop it if it is still short.
    return kept.filter((run, i) => i > 0 || run.to - run.from >= minMs || kept.length === 1);
  }

  /** The tones in the order heard (silence left out, repeats of one tone merged). */
  order(tones: readonly number[], since = 0): number[] {
    const heard: number[] = [];
    for (const segment of this.segments(tones, since)) if (segment.tone !== null && heard.at(-1) !== segment.tone) heard.push(segment.tone);
    return heard;
  }

  /** Silent runs at least `minMs` long between `from` and `to` (wall-clock ms). */
  gaps(minMs: number, from = 0, to = Infinity): Array<{ from: number; ms: number }> {
    const gaps: Array<{ from: number; ms: number }> = [];
    let start: number | null = null;
    let previous = 0;
    for (const window of this.windows) {
      if (window.at < from || window.at > to) continue;
      if (window.rms < SILENCE_RMS) {
        start ??= window.at;
      } else if (start !== null) {
        const ms = window.at - start;
        if (ms >= minMs) gaps.push({ from: start, ms });
        start = null;
      }
      previous = window.at;
    }
    if (start !== null && previous - start >= minMs) gaps.push({ from: start, ms: previous - start });
    return gaps;
  }

  /** When `tone` was first heard at or after `since`, or null. */
  firstHeard(tone: number, tones: readonly number[], since = 0): number | null {
    return this.segments(tones, since).find((segment) => segment.tone === tone)?.from ?? null;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }

  private onData(at: number, data: Buffer): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    const bytes = WINDOW_SAMPLES * 2;
    let offset = 0;
    // PCM arrives in bursts: windows of one burst are spread back from its arrival, 10 ms apart.
    const count = Math.floor(this.pending.length / bytes);
    for (let w = 0; w < count; w++, offset += bytes) {
      let sum = 0;
      let crossings = 0;
      for (let i = 0; i < bytes; i += 2) {
        const sample = this.pending.readInt16LE(offset + i);
        sum += sample * sample;
        if ((sample >= 0) !== (this.lastSample >= 0)) crossings += 1;
        this.lastSample = sample;
      }
      this.crossings.push(crossings);
      if (this.crossings.length > PITCH_WINDOWS) this.crossings.shift();
      const rms = Math.sqrt(sum / WINDOW_SAMPLES) / 32768;
      const total = this.crossings.reduce((a, b) => a + b, 0);
      const hz = rms < SILENCE_RMS ? 0 : total / 2 / ((this.crossings.length * WINDOW_SAMPLES) / 44100);
      this.windows.push({ at: at - (count - 1 - w) * 10, rms, hz });
    }
    this.pending = this.pending.subarray(offset);
  }
}

function nearest(tones: readonly number[], hz: number): number | null {
  let best: number | null = null;
  for (const tone of tones) if (Math.abs(hz - tone) <= tone * 0.15 && (best === null || Math.abs(hz - tone) < Math.abs(hz - best))) best = tone;
  return best;
}
