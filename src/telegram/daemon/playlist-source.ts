import { EventEmitter } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import type { ProcessRepository } from '../../repositories/process.repository.js';
import type { AudioSource, PcmChunk } from './audio-source.js';
import type { DaemonTrack, SoundSettings, TrackSound, UpcomingItem } from '../../contracts/daemon-messages.js';
import { bytesForMs, frameBytes, PcmFormat } from './pcm.js';
import { fileDecoderArgs, PcmDecoder } from './pcm-decoder.js';
import { OrderMark, PlaylistOrder } from './playlist-order.js';
import { mayCrossfade, mixCrossfade, trackShaping, type TrackShaping } from './sound.js';

/** A library entry as the daemon needs it (or a programme item: then `play` is set). */
export interface PlaylistTrack extends DaemonTrack {
  /** Absolute, or relative to the tracks folder. */
  path: string;
  /** Its measured loudness and cue points, when known. */
  sound?: TrackSound;
}

/** Without sound settings tracks play as they are, back to back. */
const PLAIN_SOUND: SoundSettings = {
  normalize: false,
  loudnessTarget: -16,
  crossfadeSec: 0,
  crossfadeJingles: true,
  silenceThresholdDb: -50,
  liveFadeMs: 0,
  liveLoudness: false,
};

export interface PlaylistSourceOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  format: PcmFormat;
  /** Re-read whenever the library order picks a track, so edits to the library apply without a restart. */
  loadTracks: () => Promise<PlaylistTrack[]>;
  tracksDir: string;
  shuffle: boolean;
  loop: boolean;
  /**
   * PCM each decoder holds ahead of the reader (back-pressure pauses it there): the current track's cushion, and
   * how much of the next one is ready when the current one ends or is skipped.
   */
  aheadMs?: number;
  /** Wait before re-reading an empty or unplayable playlist. */
  idleRetryMs?: number;
  /**
   * How long the first track waits for Wave's first look-ahead (from the first activation) before the library order
   * picks it: Wave decides as soon as it hears the daemon started, so the station's first track is the programme's.
   * 0: do not wait.
   */
  programmeWaitMs?: number;
  /** Loudness and crossfade (see setSound); without them tracks play as they are, back to back. */
  sound?: SoundSettings;
}

interface LoadedTrack {
  track: PlaylistTrack;
  decoder: PcmDecoder;
  announced: boolean;
  /** Stopped by us (replaced, skipped, left the air): its exit is no failure. */
  dropped: boolean;
  /** A library track: where the order stood before it was picked, to pick it again if it is dropped before it plays. */
  orderMark?: OrderMark;
  /** How it is decoded (gain, cues): from the sound settings in force when its decoder started. */
  shaping: TrackShaping;
  /** The library's size when a library track was picked (how many failures in a row mean none plays). */
  librarySize: number;
}

/** A track fading out under the next one: its last PCM, read and mixed until it is drained. */
interface Fade {
  outgoing: LoadedTrack;
  totalFrames: number;
  doneFrames: number;
}

/** Started item ids remembered, so a look-ahead sent before Wave heard an item start does not play it twice. */
const STARTED_ITEMS_KEPT = 50;

/**
 * The playlist as one continuous PCM source: each track is decoded by its own ffmpeg. What plays next is Wave's
 * programme (the look-ahead it sets with setUpcoming) and, when that runs out, the library in its own order, so
 * the air is never silent while Wave is away. As soon as a track is current the next one is decoded up to
 * `aheadMs`, so a track change or a skip leaves no gap. At most two decoders run: the current and the next (during a
 * crossfade, the track fading out has ended its decoding: only its buffered tail is left).
 *
 * Sound: each track is decoded at the gain that brings its measured loudness to the target, from its cue-in to its
 * cue-out (sound.ts). With a crossfade, once the current track's decoder has ended and what is left of it fits in the
 * crossfade, the next one (already decoded ahead) starts under it: both are read and mixed until the old one is drained.
 *
 * Events: `error` ({ code, message }) for an unplayable track or an unreadable library; `finished` when
 * a non-looping library has played its last track.
 */
export class PlaylistSource extends EventEmitter implements AudioSource {
  readonly kind = 'playlist' as const;
  readonly label = 'playlist';
  private readonly order: PlaylistOrder;
  private current: LoadedTrack | null = null;
  private next: LoadedTrack | null = null;
  /** The programme's items after `next`, not decoding yet. */
  private upcoming: PlaylistTrack[] = [];
  private readonly startedItemIds: string[] = [];
  private preparing: Promise<void> | null = null;
  private exhausted = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Set once a look-ahead came (or the wait for the first one is over). */
  private programmeHeard = false;
  private programmeWait: { until: number; timer: NodeJS.Timeout | null } | null = null;
  private consecutiveFailures = 0;
  private sound: SoundSettings;
  private fade: Fade | null = null;
  private readonly frame: number;

  constructor(private readonly options: PlaylistSourceOptions) {
    super();
    this.order = new PlaylistOrder({ shuffle: options.shuffle, loop: options.loop });
    this.sound = options.sound ?? PLAIN_SOUND;
    this.frame = frameBytes(options.format);
  }

  get finished(): boolean {
    return this.exhausted && !this.fade && !this.current && !this.next && this.upcoming.length === 0;
  }

  /**
   * New sound settings: the crossfade applies from the next track change; the next track, when its gain or cues
   * change with them, is decoded again (the one on the air plays on as it is).
   */
  setSound(sound: SoundSettings): void {
    this.sound = sound;
    this.decodeNextAgainIfReshaped();
  }

  /** The next track decodes again when the gain or cues it should have are not the ones its decoder started with. */
  private decodeNextAgainIfReshaped(): void {
    const next = this.next;
    if (!next || sameShaping(next.shaping, trackShaping(next.track.sound, this.sound))) return;
    drop(next);
    this.next = null;
    this.decode(next.track, next.orderMark, next.librarySize);
  }

  /** PCM each decoder holds ahead: enough that a track's decoder has ended before its last crossfade's worth is read. */
  private get aheadBytes(): number {
    const aheadMs = Math.max(this.options.aheadMs ?? 3000, 2 * this.sound.crossfadeSec * 1000 + 1000);
    return bytesForMs(this.options.format, aheadMs);
  }

  /** Item ids of the look-ahead, in play order (the one decoding as next first). */
  get holding(): string[] {
    return [this.next?.track, ...this.upcoming].flatMap((track) => (track?.play ? [track.play.itemId] : []));
  }

  activate(): void {
    if (this.closed) return;
    this.programmeWait ??= { until: performance.now() + (this.options.programmeWaitMs ?? 0), timer: null };
    if (!this.current && !this.next) this.prepareNext();
  }

  deactivate(): void {
    this.dropCurrent();
    this.prepareNext();
  }

  /** The library changed: decode the next library track again from the fresh list (a programme item stays). */
  reload(): void {
    this.exhausted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.next && !this.next.track.play) this.dropNext();
    this.prepareNext();
  }

  /**
   * Replaces the look-ahead with Wave's programme. The next track already decoding is kept when it is the new first
   * item (same itemId, or the same track and file), taking the item's PlayRef; otherwise the first item is decoded
   * in its place. An item that already went on the air (Wave had not heard it start yet) is left out. With no items
   * the library order goes on.
   */
  setUpcoming(items: readonly UpcomingItem[]): void {
    this.programmeHeard = true;
    if (this.programmeWait?.timer) clearTimeout(this.programmeWait.timer);
    const tracks = items
      .filter((item) => !this.hasStarted(item.play.itemId))
      .map((item): PlaylistTrack => ({ ...item.track, play: item.play, path: item.path, sound: item.sound }));
    const next = this.next;
    if (next && tracks.length > 0 && this.sameItem(next.track, tracks[0])) {
      next.track = tracks[0];
      this.upcoming = tracks.slice(1);
      // A library track Wave now sends with its loudness or cues.
      this.decodeNextAgainIfReshaped();
      return;
    }
    this.upcoming = tracks;
    if (next && (tracks.length > 0 || next.track.play)) this.dropNext();
    this.prepareNext();
  }

  /** Ends the current track now (and one fading out under it): the next one (already decoding) plays from the next read. */
  skip(): boolean {
    const ended = this.current?.announced ?? false;
    this.dropCurrent();
    this.promoteIfDone();
    return ended;
  }

  available(): number {
    this.promoteIfDone();
    return (this.fade?.outgoing.decoder.available ?? 0) + (this.current?.decoder.available ?? 0);
  }

  read(maxBytes: number): PcmChunk | null {
    this.promoteIfDone();
    if (!this.fade) this.startFadeIfDue();
    if (this.fade) return this.readFade(maxBytes);
    const loaded = this.current;
    if (!loaded) return null;
    const data = loaded.decoder.read(Math.min(maxBytes, this.bytesBeforeFade(loaded)));
    if (!data) return null;
    this.consecutiveFailures = 0;
    return this.chunkOf(loaded, data);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.programmeWait?.timer) clearTimeout(this.programmeWait.timer);
    this.dropCurrent();
    this.dropNext();
    this.upcoming = [];
  }

  /** `data` of `loaded`, marked as its start when it is the first PCM of it on the air. */
  private chunkOf(loaded: LoadedTrack, data: Buffer): PcmChunk {
    if (loaded.announced) return { data };
    loaded.announced = true;
    if (loaded.track.play) {
      this.startedItemIds.push(loaded.track.play.itemId);
      if (this.startedItemIds.length > STARTED_ITEMS_KEPT) this.startedItemIds.shift();
    }
    return { data, track: publicTrack(loaded.track) };
  }

  /**
   * The crossfade the current track's end may get now, in bytes (0: none): its decoder has ended (its whole rest is
   * buffered), the next is decoded and ready, and the settings allow it between these two.
   */
  private fadeBytes(): number {
    const { current, next } = this;
    if (!current || !next || !current.decoder.hasExited || next.decoder.available === 0) return 0;
    if (!mayCrossfade(current.track.play?.reason, next.track.play?.reason, this.sound)) return 0;
    // Never more than half of either track (a short jingle is not swallowed by the songs around it).
    const halves = [current, next]
      .map(playingSeconds)
      .filter((seconds) => seconds > 0)
      .map((seconds) => seconds / 2);
    return bytesForMs(this.options.format, Math.min(this.sound.crossfadeSec, ...halves) * 1000);
  }

  /** How much of the current track may be read before its crossfade must start (all of it when none is due). */
  private bytesBeforeFade(current: LoadedTrack): number {
    const fadeBytes = this.fadeBytes();
    return fadeBytes === 0 ? Infinity : Math.max(this.frame, current.decoder.available - fadeBytes);
  }

  /** Once the current track's rest fits in the crossfade, the next one starts under it. */
  private startFadeIfDue(): void {
    const { current, next } = this;
    const fadeBytes = this.fadeBytes();
    // A track fades out only once it went on the air (its first read announces it).
    if (!current || !next || !current.announced || fadeBytes === 0) return;
    const left = current.decoder.available;
    if (left === 0 || left > fadeBytes) return;
    this.fade = { outgoing: current, totalFrames: left / this.frame, doneFrames: 0 };
    this.current = next;
    this.next = null;
    this.prepareNext();
  }

  /** The outgoing track's tail mixed with the incoming one's start; the incoming one is announced with the first of it. */
  private readFade(maxBytes: number): PcmChunk | null {
    const fade = this.fade!;
    const incoming = this.current;
    const tail = fade.outgoing.decoder.read(maxBytes);
    if (!tail) {
      this.endFade();
      return this.read(maxBytes);
    }
    const head = incoming?.decoder.read(tail.length) ?? null;
    // The incoming track is decoded ahead; should it fall behind, the tail fades out over silence meanwhile.
    const under =
      head && head.length === tail.length ? head : Buffer.concat([head ?? Buffer.alloc(0)], tail.length).fill(0, head?.length ?? 0);
    const data = mixCrossfade(tail, under, this.options.format.channels, fade.doneFrames, fade.totalFrames);
    fade.doneFrames += tail.length / this.frame;
    if (fade.outgoing.decoder.available === 0) this.endFade();
    return incoming ? this.chunkOf(incoming, data) : { data };
  }

  private endFade(): void {
    if (this.fade) drop(this.fade.outgoing);
    this.fade = null;
  }

  private dropCurrent(): void {
    this.endFade();
    if (this.current) drop(this.current);
    this.current = null;
  }

  private dropNext(): void {
    const next = this.next;
    if (!next) return;
    drop(next);
    this.next = null;
    if (next.orderMark) this.order.rewind(next.orderMark);
  }

  private hasStarted(itemId: string): boolean {
    return this.current?.track.play?.itemId === itemId || this.startedItemIds.includes(itemId);
  }

  private sameItem(decoding: PlaylistTrack, item: PlaylistTrack): boolean {
    if (decoding.play && decoding.play.itemId === item.play?.itemId) return true;
    return decoding.id === item.id && this.resolvePath(decoding.path) === this.resolvePath(item.path);
  }

  private resolvePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.options.tracksDir, path);
  }

  /** Moves to the next track once the current one is drained, and starts decoding the one after it at once. */
  private promoteIfDone(): void {
    if (this.current && !this.current.decoder.finished) return;
    this.current = this.next;
    this.next = null;
    this.prepareNext();
  }

  /** Decodes the next track: the programme's next item, or else the library's next track. */
  private prepareNext(): void {
    if (this.closed || this.next) return;
    const item = this.upcoming.shift();
    if (item) return this.decode(item);
    if (this.preparing || this.retryTimer || this.exhausted || this.waitingForProgramme()) return;
    this.preparing = this.loadFromLibrary()
      .catch((error: Error) => {
        this.emit('error', { code: 'playlist_unreadable', message: error.message });
        this.retryLater();
      })
      .finally(() => {
        this.preparing = null;
      });
  }

  /** Before the first look-ahead, the library waits until programmeWaitMs is over (then tries again by itself). */
  private waitingForProgramme(): boolean {
    const wait = this.programmeWait;
    if (this.programmeHeard || !wait) return false;
    const remaining = wait.until - performance.now();
    if (remaining <= 0) {
      this.programmeHeard = true;
      return false;
    }
    wait.timer ??= setTimeout(() => {
      wait.timer = null;
      this.prepareNext();
    }, remaining);
    return true;
  }

  private async loadFromLibrary(): Promise<void> {
    const tracks = await this.options.loadTracks();
    // The programme may have sent an item meanwhile: it went first.
    if (this.closed || this.next) return;
    const mark = this.order.mark();
    const track = this.order.next(tracks);
    if (!track) {
      if (tracks.length > 0 && !this.options.loop) {
        this.exhausted = true;
        this.emit('finished');
      } else this.retryLater();
      return;
    }
    this.decode(track, mark, tracks.length);
  }

  private decode(track: PlaylistTrack, orderMark?: OrderMark, librarySize = 0): void {
    const shaping = trackShaping(track.sound, this.sound);
    const decoder = new PcmDecoder(
      this.options.processes,
      this.options.ffmpegPath,
      fileDecoderArgs(this.resolvePath(track.path), this.options.format, shaping),
      this.options.format,
      { highWaterBytes: this.aheadBytes },
    );
    const loaded: LoadedTrack = { track, decoder, announced: false, dropped: false, orderMark, shaping, librarySize };
    decoder.once('exit', (exit: { code: number | null; produced: number; stderr: string }) => {
      // A track that produced audio plays what it has; one killed by us is no failure.
      if (this.closed || loaded.dropped || exit.code === 0 || exit.produced > 0) return;
      const current = loaded.track;
      this.emit('error', {
        code: 'track_unplayable',
        message: `track ${current.id} (${current.title}) cannot be decoded: ${lastLine(exit.stderr)}`,
      });
      if (this.next === loaded) this.next = null;
      // A programme item gives way to the next item (or the library); the library is retried later when none plays.
      if (!current.play) this.consecutiveFailures += 1;
      if (!current.play && this.consecutiveFailures >= Math.max(1, librarySize)) this.retryLater();
      else this.prepareNext();
    });
    this.next = loaded;
    decoder.start();
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.consecutiveFailures = 0;
      this.prepareNext();
    }, this.options.idleRetryMs ?? 3000);
  }
}

function drop(loaded: LoadedTrack): void {
  loaded.dropped = true;
  loaded.decoder.stop();
}

/** How long a track plays between its cues, from the library's duration (0 when unknown). */
function playingSeconds(loaded: LoadedTrack): number {
  return loaded.shaping.durationSec ?? Math.max(0, loaded.track.duration - loaded.shaping.startSec);
}

function sameShaping(a: TrackShaping, b: TrackShaping): boolean {
  return a.gainDb === b.gainDb && a.limit === b.limit && a.startSec === b.startSec && a.durationSec === b.durationSec;
}

function publicTrack(track: PlaylistTrack): DaemonTrack {
  const { id, title, artist, duration, play } = track;
  return play ? { id, title, artist, duration, play } : { id, title, artist, duration };
}

function lastLine(text: string): string {
  return text.split('\n').filter(Boolean).pop() ?? 'no output';
}
