import { EventEmitter } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import type { ProcessRepository } from '../../repositories/process.repository.js';
import type { AudioSource, PcmChunk } from './audio-source.js';
import type { DaemonTrack } from '../../contracts/daemon-messages.js';
import { bytesForMs, PcmFormat } from './pcm.js';
import { fileDecoderArgs, PcmDecoder } from './pcm-decoder.js';
import { PlaylistOrder } from './playlist-order.js';

/** A library entry as the daemon needs it. */
export interface PlaylistTrack extends DaemonTrack {
  /** Absolute, or relative to the tracks folder. */
  path: string;
}

export interface PlaylistSourceOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  format: PcmFormat;
  /** Re-read at every track boundary, so edits to the library apply without a restart. */
  loadTracks: () => Promise<PlaylistTrack[]>;
  tracksDir: string;
  shuffle: boolean;
  loop: boolean;
  /** PCM decoded ahead per track (the next track starts decoding when the current one has this much left). */
  aheadMs?: number;
  /** Wait before re-reading an empty or unplayable playlist. */
  idleRetryMs?: number;
}

interface LoadedTrack {
  track: PlaylistTrack;
  decoder: PcmDecoder;
  announced: boolean;
}

/**
 * The track playlist as one continuous PCM source: each track is decoded by its own ffmpeg, and the next
 * track is decoded ahead while the current one plays out, so a track change leaves no gap.
 *
 * Events: `error` ({ code, message }) for an unplayable track or an unreadable library; `finished` when
 * a non-looping playlist has played its last track.
 */
export class PlaylistSource extends EventEmitter implements AudioSource {
  readonly kind = 'playlist' as const;
  readonly label = 'playlist';
  private readonly order: PlaylistOrder;
  private current: LoadedTrack | null = null;
  private next: LoadedTrack | null = null;
  private preparing: Promise<void> | null = null;
  private exhausted = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private consecutiveFailures = 0;
  private readonly aheadBytes: number;

  constructor(private readonly options: PlaylistSourceOptions) {
    super();
    this.order = new PlaylistOrder({ shuffle: options.shuffle, loop: options.loop });
    this.aheadBytes = bytesForMs(options.format, options.aheadMs ?? 3000);
  }

  get finished(): boolean {
    return this.exhausted && !this.current && !this.next;
  }

  activate(): void {
    if (this.closed) return;
    if (!this.current && !this.next) this.prepareNext();
  }

  deactivate(): void {
    this.dropCurrent();
    if (!this.next) this.prepareNext();
  }

  /** The library changed: decode the next track again from the fresh list. */
  reload(): void {
    this.exhausted = false;
    if (this.next) {
      this.next.decoder.stop();
      this.next = null;
    }
    this.prepareNext();
  }

  available(): number {
    this.promoteIfDone();
    return this.current?.decoder.available ?? 0;
  }

  read(maxBytes: number): PcmChunk | null {
    this.promoteIfDone();
    const loaded = this.current;
    if (!loaded) return null;
    const data = loaded.decoder.read(maxBytes);
    if (!data) return null;
    this.consecutiveFailures = 0;
    if (loaded.announced) return { data };
    loaded.announced = true;
    return { data, track: publicTrack(loaded.track) };
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.dropCurrent();
    this.next?.decoder.stop();
    this.next = null;
  }

  private dropCurrent(): void {
    this.current?.decoder.stop();
    this.current = null;
  }

  /** Moves to the next track once the current one is drained. */
  private promoteIfDone(): void {
    if (this.current && !this.current.decoder.finished) return;
    if (this.current) this.current = null;
    if (this.next) {
      this.current = this.next;
      this.next = null;
      // Only one decoder runs at full speed at a time; the next starts when this one has decoded all.
      if (this.current.decoder.hasExited) this.prepareNext();
    } else if (!this.preparing && !this.retryTimer) this.prepareNext();
  }

  private prepareNext(): void {
    if (this.closed || this.preparing || this.next || this.exhausted) return;
    this.preparing = this.loadNext()
      .catch((error: Error) => {
        this.emit('error', { code: 'playlist_unreadable', message: error.message });
        this.retryLater();
      })
      .finally(() => {
        this.preparing = null;
      });
  }

  private async loadNext(): Promise<void> {
    const tracks = await this.options.loadTracks();
    if (this.closed || this.next) return;
    const track = this.order.next(tracks);
    if (!track) {
      if (tracks.length > 0 && !this.options.loop) {
        this.exhausted = true;
        this.emit('finished');
      } else this.retryLater();
      return;
    }
    const path = isAbsolute(track.path) ? track.path : resolve(this.options.tracksDir, track.path);
    const decoder = new PcmDecoder(
      this.options.processes,
      this.options.ffmpegPath,
      fileDecoderArgs(path, this.options.format),
      this.options.format,
      {
        highWaterBytes: this.aheadBytes,
      },
    );
    const loaded: LoadedTrack = { track, decoder, announced: false };
    decoder.once('exit', (exit: { code: number | null; produced: number; stderr: string }) => {
      if (this.closed) return;
      if (exit.code !== 0 && exit.produced === 0 && this.current !== loaded && this.next !== loaded) return; // stopped by us
      if (exit.code !== 0 && exit.produced === 0) {
        this.consecutiveFailures += 1;
        this.emit('error', {
          code: 'track_unplayable',
          message: `track ${track.id} (${track.title}) cannot be decoded: ${lastLine(exit.stderr)}`,
        });
        if (this.next === loaded) this.next = null;
        if (this.consecutiveFailures >= Math.max(1, tracks.length)) this.retryLater();
        else this.prepareNext();
        return;
      }
      // This track is fully decoded: start decoding the one after it, so it is ready at the boundary.
      if (this.current === loaded) this.prepareNext();
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

function publicTrack(track: PlaylistTrack): DaemonTrack {
  return { id: track.id, title: track.title, artist: track.artist, duration: track.duration };
}

function lastLine(text: string): string {
  return text.split('\n').filter(Boolean).pop() ?? 'no output';
}
