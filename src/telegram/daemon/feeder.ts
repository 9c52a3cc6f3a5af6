import { EventEmitter } from 'node:events';
import type { AudioSource } from './audio-source.js';
import type { DaemonSourceKind, DaemonTrack } from '../../contracts/daemon-messages.js';
import { frameBytes, msForBytes, PcmClock } from './pcm.js';

/** Where the feeder writes PCM: the encoder's stdin while connected. */
export interface PcmSink {
  write(data: Buffer): void;
}

export interface FeederOptions {
  clock: PcmClock;
  /** The playlist: on the air whenever no other source is, and where a failing source falls back to. */
  base: AudioSource;
  /** Monotonic milliseconds (performance.now in production). */
  now: () => number;
  /** From a frame's due time to when it is heard at the ingest (encoder + network). */
  outputLatencyMs: number;
  /** A source other than the base with no audio for this long goes off the air (unless switchTo says otherwise). */
  starveGraceMs: number;
  tickMs?: number;
}

export interface SwitchOptions {
  /** Give up when the source has produced no audio after this long (default: wait until it ends). */
  startTimeoutMs?: number;
  /** Off the air after this long without audio (default: FeederOptions.starveGraceMs). */
  starveGraceMs?: number;
}

/** Emitted events; `heardAt` is monotonic ms (see FeederOptions.now). */
export interface FeederEvents {
  'track-started': [{ track: DaemonTrack; heardAt: number }];
  'track-ended': [{ track: DaemonTrack; heardAt: number; reason: 'finished' | 'interrupted' | 'skipped' }];
  'source-changed': [{ source: AudioSource; kind: DaemonSourceKind; label: string; heardAt: number }];
  /** A source other than the base left the air (or never made it): it ended, starved, or timed out. */
  'source-failed': [{ source: AudioSource; reason: string }];
}

/**
 * The audio clock. Every tick it writes exactly the PCM due by the wall clock (plus a small lead) into
 * the sink, taken from the source on the air, and silence when that source has nothing ready — so the
 * encoder never starves, and nothing piles up ahead. Switching sources happens between two ticks on the
 * same connection: a new source goes on the air with its first PCM, and the base (playlist) takes over
 * again when it ends.
 */
export class Feeder extends EventEmitter<FeederEvents> {
  private readonly clock: PcmClock;
  private readonly frame: number;
  private current: AudioSource;
  private pending: { source: AudioSource; since: number; timeoutMs: number; starveGraceMs: number } | null = null;
  private starveGraceMs: number;
  private track: DaemonTrack | null = null;
  private lastAudioAt: number;
  private timer: NodeJS.Timeout | null = null;
  private sink: PcmSink | null = null;
  private silenceBytes = 0;
  private silenceChunk: Buffer;

  constructor(private readonly options: FeederOptions) {
    super();
    this.clock = options.clock;
    this.frame = frameBytes(options.clock.format);
    this.current = options.base;
    this.lastAudioAt = options.now();
    this.starveGraceMs = options.starveGraceMs;
    this.silenceChunk = Buffer.alloc(this.frame * 4096);
  }

  get onAir(): AudioSource {
    return this.current;
  }

  get pendingSource(): AudioSource | null {
    return this.pending?.source ?? null;
  }

  /** Silence written so far because the source had nothing ready (ms). */
  get silenceMs(): number {
    return msForBytes(this.clock.format, this.silenceBytes);
  }

  start(): void {
    this.current.activate();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 10);
  }

  /** Stops the clock and closes the sources it took on (as a switch does); the base belongs to its owner. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const heardAt = this.heardAt(this.clock.position);
    if (this.track) this.emit('track-ended', { track: this.track, heardAt, reason: 'interrupted' });
    this.track = null;
    this.pending?.source.close();
    this.pending = null;
    if (this.current !== this.options.base) this.current.close();
  }

  /** null while disconnected: the clock keeps running and the audio due is dropped, so now playing stays right. */
  setSink(sink: PcmSink | null): void {
    this.sink = sink;
  }

  /**
   * Puts `source` on the air as soon as it has PCM (the current source plays on until then).
   * Switching to the base returns to it at once.
   */
  switchTo(source: AudioSource, options: SwitchOptions = {}): void {
    if (this.pending && this.pending.source !== source) this.pending.source.close();
    this.pending = null;
    if (source === this.current) return;
    if (source === this.options.base) {
      this.goOnAir(source);
      return;
    }
    this.pending = {
      source,
      since: this.options.now(),
      timeoutMs: options.startTimeoutMs ?? Infinity,
      starveGraceMs: options.starveGraceMs ?? this.options.starveGraceMs,
    };
    source.activate();
  }

  /**
   * Ends the base's current track now: it ends where the audio written so far ends, and the next track's first PCM
   * follows in the next tick. False (nothing done) when another source is on the air, or no track was playing.
   */
  skip(): boolean {
    const base = this.options.base;
    if (this.current !== base || !base.skip?.()) return false;
    if (this.track) this.emit('track-ended', { track: this.track, heardAt: this.heardAt(this.clock.position), reason: 'skipped' });
    this.track = null;
    return true;
  }

  /** Writes what the clock says is due. Public for tests; runs on a timer after start(). */
  tick(now = this.options.now()): void {
    this.checkPending(now);
    this.checkCurrent(now);
    let remaining = this.clock.bytesDue(now);
    if (remaining === 0) return;
    const parts: Buffer[] = [];
    let written = 0;
    while (remaining > 0) {
      const chunk = this.current.read(remaining);
      if (!chunk) break;
      if (chunk.track) this.startTrack(chunk.track, this.clock.position + written / this.frame);
      parts.push(chunk.data);
      written += chunk.data.length;
      remaining -= chunk.data.length;
    }
    if (written > 0) this.lastAudioAt = now;
    if (remaining > 0) {
      this.silenceBytes += remaining;
      while (remaining > 0) {
        const n = Math.min(remaining, this.silenceChunk.length);
        parts.push(this.silenceChunk.subarray(0, n));
        remaining -= n;
        written += n;
      }
    }
    this.sink?.write(parts.length === 1 ? parts[0] : Buffer.concat(parts, written));
    this.clock.advance(written);
  }

  private checkPending(now: number): void {
    if (!this.pending) return;
    const { source, since, timeoutMs, starveGraceMs } = this.pending;
    if (source.available() > 0) {
      this.pending = null;
      this.goOnAir(source);
      this.starveGraceMs = starveGraceMs;
    } else if (source.finished || now - since > timeoutMs) {
      this.pending = null;
      source.close();
      this.emit('source-failed', { source, reason: source.finished ? 'ended before any audio' : `no audio within ${duration(timeoutMs)}` });
    }
  }

  private checkCurrent(now: number): void {
    const source = this.current;
    if (source === this.options.base) return;
    const starved = source.available() === 0 && now - this.lastAudioAt > this.starveGraceMs;
    if (!source.finished && !starved) return;
    this.goOnAir(this.options.base);
    source.close();
    this.emit('source-failed', { source, reason: source.finished ? 'ended' : `no audio for ${duration(this.starveGraceMs)}` });
  }

  private goOnAir(source: AudioSource): void {
    const previous = this.current;
    const at = this.clock.position;
    if (this.track) {
      this.emit('track-ended', { track: this.track, heardAt: this.heardAt(at), reason: 'interrupted' });
      this.track = null;
    }
    if (previous === this.options.base) previous.deactivate();
    else previous.close();
    this.current = source;
    this.lastAudioAt = this.options.now();
    source.activate();
    this.emit('source-changed', { source, kind: source.kind, label: source.label, heardAt: this.heardAt(at) });
  }

  private startTrack(track: DaemonTrack, frame: number): void {
    const heardAt = this.heardAt(frame);
    if (this.track) this.emit('track-ended', { track: this.track, heardAt, reason: 'finished' });
    this.track = track;
    this.emit('track-started', { track, heardAt });
  }

  private heardAt(frame: number): number {
    return this.clock.timeOfFrame(frame) + this.options.outputLatencyMs;
  }
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
