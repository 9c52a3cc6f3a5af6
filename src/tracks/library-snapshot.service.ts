import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { join } from 'node:path';
import { WaveEvents } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { TRACK_LIBRARY_FILE } from '../contracts/track-library.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { AUDIO_TRACKS_DOCUMENT } from './audio-tracks.document.js';

/** `wave_meta` key: when the seed's `audio-tracks.json` was imported into the database. */
const IMPORTED_MARKER = 'audio_tracks_imported_at';
/** A burst of changes is written once: this long after the last change… */
export const SNAPSHOT_DEBOUNCE_MS = 300;
/** …but no later than this after the first, so a steady trickle of adds still reaches the file. */
export const SNAPSHOT_MAX_DELAY_MS = 2_000;

/** The snapshot's first field: the library's version it was written at (readers of `tracks` ignore it). */
const VERSION_FIELD = 'libraryVersion';
const HEAD = /^\{\s*"libraryVersion":\s*(\d+),\s*"tracks":\s*\[/;
const SEPARATOR = ',\n    ';
const FIRST = Buffer.from('\n    ', 'utf8');
const BETWEEN = Buffer.from(SEPARATOR, 'utf8');
/** More changed positions than this since the last snapshot, and every track is read again. */
const MAX_CHANGES_READ_AGAIN = 5_000;
/** Bytes copied into the snapshot between two turns of the event loop. */
const YIELD_EVERY_BYTES = 1 << 20;
/** A last piece of fewer tracks than this is read again with the tracks added after it. */
const SMALL_PIECE = 500;
/** A piece grown to this many tracks (tracks placed between others, again and again) and every track is read again. */
const MAX_PIECE = 5_000;

/**
 * Part of the snapshot: the tracks after the previous piece's `last` position up to its own, their JSON. `last` is
 * null on PostgreSQL (no positions of changes there: every snapshot reads every track).
 */
interface Piece {
  last: number | null;
  count: number;
  bytes: Buffer;
}

/** The first index whose value is `value` or more (values ascending); values.length when none is. */
function firstAtLeast(values: number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * `DATA_DIR/audio-tracks.json` beside the database: imported once into an empty database at boot, then
 * rewritten in the background after changes (debounced, read from the database a batch at a time, never on a
 * request's path), so readers outside Wave (the Telegram daemon, an operator's scripts, a backup) see the library.
 * `tracks.snapshot` is raised once a snapshot is on disk. The file says which version of the library it holds
 * (`libraryVersion`, first): a boot whose database is at that version leaves it as it is, so booting costs the same
 * at any library size; one after a change whose snapshot never made it to disk (a crash, another instance's change
 * to a shared database) rewrites it.
 *
 * Instances sharing DATA_DIR (and so the database) each write the snapshot after their own changes. Each write
 * reads the library inside the file's cross-process lock (DocumentStore.writeExclusively), so the last writer
 * writes the newest view: a snapshot read before another instance's change can never be renamed over a newer one.
 */
@Injectable()
export class LibrarySnapshotService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LibrarySnapshotService.name);
  private readonly file: string;
  private timer: NodeJS.Timeout | null = null;
  private firstChangeAt: number | null = null;
  private writing: Promise<void> | null = null;
  private again = false;
  /** The snapshot's bytes, built here and kept between snapshots. */
  private bytes = Buffer.alloc(0);
  /** The play order as JSON, a piece per part of it (a batch when first read), as of change `seq` of the library. */
  private pieces: Piece[] = [];
  private seq: number | null = null;

  constructor(
    private readonly tracks: TrackRepository,
    private readonly documents: DocumentStore,
    private readonly storage: StorageRepository,
    private readonly events: WaveEvents,
    config: AppConfig,
  ) {
    this.file = join(config.dataDir, TRACK_LIBRARY_FILE);
  }

  async onModuleInit(): Promise<void> {
    if (await this.tracks.wasImported(IMPORTED_MARKER)) {
      await this.documents.removeInterruptedWrites(AUDIO_TRACKS_DOCUMENT);
      if (await this.isCurrent()) return;
    } else {
      const { tracks } = await this.documents.readAtBoot(AUDIO_TRACKS_DOCUMENT);
      const imported = await this.tracks.importOnce(
        IMPORTED_MARKER,
        tracks.map((t) => ({ album: '', genre: '', tags: [], ...t, fileSize: null, fileMtimeMs: null })),
      );
      if (imported) this.logger.log(`Imported ${tracks.length} tracks from ${TRACK_LIBRARY_FILE} into the database`);
    }
    // The file may be behind the database (a change whose snapshot a crash cut short): bring it up to date.
    await this.write();
  }

  /** A library change: schedule a snapshot. */
  @OnEvent('tracks.updated')
  libraryChanged(): void {
    const now = Date.now();
    this.firstChangeAt ??= now;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(SNAPSHOT_DEBOUNCE_MS, this.firstChangeAt + SNAPSHOT_MAX_DELAY_MS - now));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.firstChangeAt = null;
      void this.write();
    }, delay);
  }

  /** Writes the snapshot now (one write at a time; a change during a write is written after it). */
  async write(): Promise<void> {
    if (this.writing) {
      this.again = true;
      return this.writing;
    }
    this.writing = (async () => {
      do {
        this.again = false;
        await this.documents
          .writeExclusively(AUDIO_TRACKS_DOCUMENT, () => this.writeOnce(), true)
          .catch((error: Error) => {
            this.logger.error(`${TRACK_LIBRARY_FILE} snapshot not written: ${error.message}`);
            // Another instance held the lock past the wait (its read may predate this change): try again later.
            if (error instanceof WaveError && error.code === 'document_busy') this.libraryChanged();
          });
      } while (this.again);
    })().finally(() => (this.writing = null));
    return this.writing;
  }

  /** Writes a pending snapshot now (and waits for one being written), so the file holds every change made so far. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.firstChangeAt = null;
      await this.write();
    }
    await this.writing;
  }

  /** At shutdown, the file gets every change Wave acknowledged. */
  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  private async writeOnce(): Promise<void> {
    // The version and the changes first: what is read after them is that version or newer, and a newer one has its
    // own snapshot coming.
    const { version, seq, positions } = await this.tracks.snapshotChanges(this.seq, MAX_CHANGES_READ_AGAIN);
    if (positions === null || !(await this.readChanged(positions))) await this.readAll();
    this.seq = seq;

    let length = 0;
    const append = (bytes: Buffer) => {
      if (length + bytes.length > this.bytes.length) {
        const grown = Buffer.allocUnsafe(Math.ceil((length + bytes.length) * 1.25));
        this.bytes.copy(grown, 0, 0, length);
        this.bytes = grown;
      }
      length += bytes.copy(this.bytes, length);
    };
    append(Buffer.from(`{\n  "${VERSION_FIELD}": ${version},\n  "tracks": [`, 'utf8'));
    let count = 0;
    let copied = 0;
    for (const piece of this.pieces) {
      append(count === 0 ? FIRST : BETWEEN);
      append(piece.bytes);
      count += piece.count;
      // The event loop gets a turn every megabyte or so (11 MB at 50,000 tracks held it 3–4 ms at once).
      if ((copied += piece.bytes.length) >= YIELD_EVERY_BYTES) {
        copied = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    append(Buffer.from(count === 0 ? ']\n}\n' : '\n  ]\n}\n', 'utf8'));
    await this.storage.writeDurably(this.file, this.bytes.subarray(0, length), 0o600);
    // Kept for the next snapshot (no garbage of the library's size per change), unless the library shrank a lot.
    if (length < this.bytes.length / 4) this.bytes = Buffer.alloc(0);
    await this.tracks.forgetChanges(seq);
    this.events.emit('tracks.snapshot', { count, at: new Date().toISOString() });
  }

  /** Every track again, a batch to a piece. */
  private async readAll(): Promise<void> {
    const pieces: Piece[] = [];
    for await (const batch of this.tracks.inPlayOrderAsJson(SEPARATOR)) {
      pieces.push({ last: batch.last, count: batch.count, bytes: Buffer.from(batch.json, 'utf8') });
    }
    this.pieces = pieces;
  }

  /**
   * Reads again only the pieces holding a changed position, and what follows the last piece (tracks added at the
   * end); false when the pieces cannot tell (none kept, or a piece grown past reason: then every track is read).
   */
  private async readChanged(positions: number[]): Promise<boolean> {
    if (this.pieces.some((piece) => piece.last === null)) return false;
    const lasts = this.pieces.map((piece) => piece.last!);
    const dirty = new Set<number>();
    let tail = this.pieces.length === 0;
    for (const position of positions) {
      const index = firstAtLeast(lasts, position);
      if (index === lasts.length) tail = true;
      else dirty.add(index);
    }
    // Tracks added at the end join a small last piece (else each add would make a piece of its own).
    const keep = tail && this.pieces.length > 0 && this.pieces.at(-1)!.count < SMALL_PIECE ? this.pieces.length - 1 : this.pieces.length;
    const pieces: Piece[] = [];
    for (let i = 0; i < keep; i++) {
      if (!dirty.has(i)) {
        pieces.push(this.pieces[i]);
        continue;
      }
      // The piece keeps its bounds: after the one before it, up to its own last position.
      const range = { ...(i > 0 && { after: lasts[i - 1] }), upTo: lasts[i] };
      const parts: string[] = [];
      let count = 0;
      for await (const batch of this.tracks.inPlayOrderAsJson(SEPARATOR, undefined, range)) {
        parts.push(batch.json);
        count += batch.count;
      }
      if (count > MAX_PIECE) return false;
      if (count > 0) pieces.push({ last: lasts[i], count, bytes: Buffer.from(parts.join(SEPARATOR), 'utf8') });
    }
    if (tail || keep < this.pieces.length) {
      const after = keep > 0 ? lasts[keep - 1] : undefined;
      for await (const batch of this.tracks.inPlayOrderAsJson(SEPARATOR, undefined, after === undefined ? {} : { after })) {
        pieces.push({ last: batch.last, count: batch.count, bytes: Buffer.from(batch.json, 'utf8') });
      }
    }
    this.pieces = pieces;
    return true;
  }

  /** Whether the file is a whole snapshot of the library at its current version (its head and its end, read alone). */
  private async isCurrent(): Promise<boolean> {
    const file = await this.storage.openForReading(this.file);
    if (!file) return false;
    try {
      const { size } = await file.stat();
      const head = Buffer.alloc(Math.min(size, 256));
      const tail = Buffer.alloc(Math.min(size, 8));
      await file.read(head, 0, head.length, 0);
      await file.read(tail, 0, tail.length, size - tail.length);
      const written = HEAD.exec(head.toString('utf8'))?.[1];
      return written !== undefined && tail.toString('utf8').endsWith(']\n}\n') && Number(written) === (await this.tracks.version());
    } finally {
      await file.close();
    }
  }
}
