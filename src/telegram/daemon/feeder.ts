import { EventEmitter } from 'node:events';
import type { AudioSource } from './audio-source.js';
import type { DaemonSourceKind, DaemonTrack } from '../../contracts/daemon-messages.js';
import { frameBytes, msForBytes, PcmClock } from './pcm.js';
import { mixCrossfade } from './sound.js';

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
  /** Fade between the outgoing and the incoming source at each switch (default 0: a cut). */
  fadeMs?: number;
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
 * again when it ends. With `fadeMs`, a switch is a crossfade: both sources are read and mixed for that long.
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
  /** At a switch, the source leaving the air while the new one fades in (`done` of `frames` written so far). */
  private fade: { from: AudioSource; frames: number; done: number } | null = null;
  private fadeMs: number;

  constructor(private readonly options: FeederOptions) {
    super();
    this.clock = options.clock;
    this.frame = frameBytes(options.clock.format);
    this.current = options.base;
    this.lastAudioAt = options.now();
    this.starveGraceMs = options.starveGraceMs;
    this.silenceChunk = Buffer.alloc(this.frame * 4096);
    this.fadeMs = options.fadeMs ?? 0;
  }

  /** The fade at the next switch (the sound settings' `liveFadeMs`); 0 cuts. A fade under way keeps its length. */
  setFadeMs(ms: number): void {
    this.fadeMs = Math.max(0, ms);
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
    if (this.fade && this.fade.from !== this.options.base) this.fade.from.close();
    this.fade = null;
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
    const bytes = this.clock.bytesDue(now);
    if (bytes === 0) return;
    const start = this.clock.position;
    const incoming = this.pull(this.current, bytes, start);
    let data = incoming.data;
    let audio = incoming.audio;
    const fade = this.fade;
    if (fade) {
      const outgoing = this.pull(fade.from, bytes, start);
      data = mixCrossfade(outgoing.data, incoming.data, this.clock.format.channels, fade.done, fade.frames, 'linear');
      fade.done += bytes / this.frame;
      audio = Math.max(audio, outgoing.audio);
      // A live source that ran dry (the DJ stopped) has nothing left to fade out: the incoming goes to full level now.
      const dry = outgoing.audio === 0 && fade.from !== this.options.base;
      if (fade.done >= fade.frames || dry) this.endFade(start + bytes / this.frame);
    }
    if (incoming.audio > 0) this.lastAudioAt = now;
    this.silenceBytes += bytes - audio;
    this.sink?.write(data);
    this.clock.advance(bytes);
  }

  /** Exactly `bytes` from `source` (silence where it has nothing ready), and how much of it was audio. */
  private pull(source: AudioSource, bytes: number, startFrame: number): { data: Buffer; audio: number } {
    const parts: Buffer[] = [];
    let written = 0;
    while (written < bytes) {
      const chunk = source.read(bytes - written);
      if (!chunk) break;
      if (chunk.track) this.startTrack(chunk.track, startFrame + written / this.frame);
      parts.push(chunk.data);
      written += chunk.data.length;
    }
    const audio = written;
    while (written < bytes) {
      const n = Math.min(bytes - written, this.silenceChunk.length);
      parts.push(this.silenceChunk.subarray(0, n));
      written += n;
    }
    return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts, written), audio };
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

  /**
   * `source` goes on the air from the next frame written. With a fade, what played fades out under it over `fadeMs`
   * (both are read and mixed) and leaves when the fade ends; a source that has ended has nothing to fade out.
   */
  private goOnAir(source: AudioSource): void {
    const previous = this.current;
    const at = this.clock.position;
    // A fade still running: what it was fading out leaves now (unless it is the one coming back).
    if (this.fade) {
      const from = this.fade.from;
      this.fade = null;
      if (from !== source) this.retire(from, at);
    }
    this.current = source;
    this.lastAudioAt = this.options.now();
    source.activate();
    const frames = Math.round((this.fadeMs * this.clock.format.sampleRate) / 1000);
    if (frames > 0 && !previous.finished) this.fade = { from: previous, frames, done: 0 };
    else this.retire(previous, at);
    this.emit('source-changed', { source, kind: source.kind, label: source.label, heardAt: this.heardAt(at) });
  }

  /** The fade is over: what it faded out leaves the air at `frame`. */
  private endFade(frame: number): void {
    const from = this.fade?.from;
    this.fade = null;
    if (from) this.retire(from, frame);
  }

  /** `source` left the air at `frame`: the base stops its track (it keeps the next one decoded), any other closes. */
  private retire(source: AudioSource, frame: number): void {
    if (source !== this.options.base) {
      source.close();
      return;
    }
    if (this.track) {
      this.emit('track-ended', { track: this.track, heardAt: this.heardAt(frame), reason: 'interrupted' });
      this.track = null;
    }
    source.deactivate();
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
