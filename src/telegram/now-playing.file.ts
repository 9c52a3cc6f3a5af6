import type { Logger } from '@nestjs/common';
import { basename, dirname, join } from 'node:path';
import { isOrphanedTempFile } from '../repositories/durable-file.js';
import type { StorageRepository } from '../repositories/storage.repository.js';
import { TRACK_REASONS, type TrackReason } from '../contracts/socket-events.js';
import type { Playing } from './now-playing.js';

/** `DATA_DIR/<file>`: now playing, apart from the library, so a track change rewrites a few bytes, not the library. */
export const NOW_PLAYING_FILE = 'now-playing.json';

let writes = 0;

/**
 * Now playing on disk, cheaply: each change is written to a temp file beside it and renamed over it
 * (atomic: the file is the old or the new content, never a mix), without fsync — it is runtime state,
 * which the daemon's next track start repairs, not a record. Changes that come while one is written
 * are coalesced into one write of the newest. Nothing playing removes the file. A write that fails is
 * logged; the answers, served from memory, are not affected.
 */
export class NowPlayingFile {
  private pending: { value: Playing | null } | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly storage: StorageRepository,
  ) {}

  /** What the file says plays (null: none, or a file that does not hold a now playing, which is logged). Removes temp files of interrupted writes. */
  async load(): Promise<Playing | null> {
    const name = basename(this.path);
    const entries = await this.storage.list(dirname(this.path)).catch(() => [] as string[]);
    for (const entry of entries.filter((e) => isOrphanedTempFile(name, e))) await this.storage.remove(join(dirname(this.path), entry));
    let text: string;
    try {
      text = await this.storage.readText(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(`${name} cannot be read (${(error as Error).message}); nothing is shown as playing`);
      return null;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (isNowPlaying(parsed))
        return {
          trackId: parsed.trackId,
          title: parsed.title,
          artist: parsed.artist,
          duration: parsed.duration,
          startedAt: parsed.startedAt,
          // A file from before the programme (issue 13) has neither.
          reason: isTrackReason(parsed.reason) ? parsed.reason : null,
          playlistId: typeof parsed.playlistId === 'string' ? parsed.playlistId : null,
        };
    } catch {
      // reported below
    }
    this.logger.warn(`${name} does not hold a now playing; nothing is shown as playing until the daemon's next track`);
    return null;
  }

  /** Stores `value` (null: nothing plays) after the writes before it; returns at once. */
  save(value: Playing | null): void {
    const queued = this.pending !== null;
    this.pending = { value };
    if (!queued) this.writing = this.writing.then(() => this.writeNewest());
  }

  /** Resolves once every change saved so far is on disk (or failed). */
  settled(): Promise<void> {
    return this.writing;
  }

  private async writeNewest(): Promise<void> {
    const { value } = this.pending!;
    this.pending = null;
    const temp = `${this.path}.tmp-${process.pid}-${++writes}`;
    try {
      if (value === null) {
        await this.storage.remove(this.path);
      } else {
        await this.storage.writeText(temp, `${JSON.stringify(value)}\n`, 0o600);
        await this.storage.rename(temp, this.path);
      }
    } catch (error) {
      await this.storage.remove(temp).catch(() => undefined);
      this.logger.warn(
        `${basename(this.path)} could not be saved (${(error as Error).message}); a restarted Wave may show an older now playing`,
      );
    }
  }
}

function isTrackReason(value: unknown): value is TrackReason {
  return typeof value === 'string' && (TRACK_REASONS as readonly string[]).includes(value);
}

function isNowPlaying(value: unknown): value is Playing & Record<string, unknown> {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.trackId === 'string' &&
    typeof v.title === 'string' &&
    typeof v.artist === 'string' &&
    (v.duration === null || (typeof v.duration === 'number' && Number.isFinite(v.duration))) &&
    typeof v.startedAt === 'string'
  );
}
