import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { basename, join, relative } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WaveEvents, type WaveEventMap } from '../../bus/wave-events.js';
import { CONTROL_CHARACTERS } from '../../common/validators.js';
import { WaveError } from '../../common/wave-error.js';
import { AppConfig } from '../../config/app-config.js';
import { SCAN_LISTED_PROBLEMS, type ScanJob, type ScanProblem, type ScanProgress } from '../../contracts/socket-events.js';
import { TRACKS_DIR } from '../../contracts/track-library.js';
import { MediaProbeService, PROBE_CONCURRENCY, type AudioMetadata } from '../../media/media-probe.service.js';
import { isInside, resolveServerDirectory } from '../../media/server-file.js';
import { StorageRepository, type DirEntry, type FileInfo } from '../../repositories/storage.repository.js';
import { TrackRepository, type FileRefresh, type NewTrack } from '../../repositories/track.repository.js';
import { MAX_TAG_LENGTH, normalizeTags, titleFromFileName } from '../tracks.service.js';
import { decideEntry, decideFile, decideLink, SKIP_REASONS } from './scan-rules.js';

/** Files looked up, probed and stored together: one stamp query, one insert transaction, one `tracks.updated`. */
export const SCAN_BATCH_SIZE = 100;
/** Scans running at once on this instance (each keeps at most PROBE_CONCURRENCY probes queued; 2 cores). */
export const MAX_RUNNING_SCANS = 2;
/** Finished scans are kept this long, and only the last KEPT_SCANS of them. */
export const SCAN_RETENTION_MS = 60 * 60 * 1000;
export const KEPT_SCANS = 20;
/** `tracks.scan.progress` at most this often per scan (~4 a second). */
export const SCAN_PROGRESS_INTERVAL_MS = 250;
/** Entries of one folder handled between two turns of the event loop when none of them needed a file system call. */
const ENTRIES_PER_TURN = 1_000;

/** A file the walk met: the path it was found under (a link's own), and the file to read (its real path). */
interface Candidate {
  shown: string;
  file: string;
}

interface ScanRun {
  job: Omit<ScanJob, 'processed'>;
  /** Wave is stopping: the walk ends at the next file. */
  stopping: boolean;
  done: Promise<void>;
  reportedAt: number;
}

class ScanStopped extends Error {
  constructor() {
    super('Wave stopped before the scan finished');
  }
}

/**
 * Imports a folder on the server, recursively, as a job (`POST /api/tracks/scan`): files the library has with the same
 * size and modification time are left as they are, changed ones have their tags read again, new audio files are
 * appended to the playlist a batch at a time (the rules of TracksService.addByPath: title from the tags, else from
 * the file's name). The decisions are scan-rules.ts's; the file system is StorageRepository's, ffprobe
 * MediaProbeService's (its semaphore bounds the probes of every caller; a scan keeps at most PROBE_CONCURRENCY of
 * them queued, so an operator's single add waits behind a few probes, not a whole folder).
 *
 * The walk reads one folder's entries at a time (the tree is never held), depth first in name order (an album comes
 * in track order), and gives the event loop a turn between folders and batches. Links to folders are never
 * followed, so the walk stays in the tree and cannot loop.
 *
 * Jobs are runtime state and live in this instance's memory only: another instance (or a restarted Wave) does not
 * know them, and a scan cut short by a restart is simply run again (it is idempotent). Finished jobs are forgotten
 * after SCAN_RETENTION_MS, or once KEPT_SCANS newer ones finished.
 */
@Injectable()
export class LibraryScanService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LibraryScanService.name);
  /** By id, in the order they started. */
  private readonly runs = new Map<string, ScanRun>();
  private readonly tracksDir: string;
  private stopping = false;

  constructor(
    private readonly tracks: TrackRepository,
    private readonly probe: MediaProbeService,
    private readonly storage: StorageRepository,
    private readonly events: WaveEvents,
    config: AppConfig,
  ) {
    this.tracksDir = join(config.dataDir, TRACKS_DIR);
  }

  /**
   * Starts a scan of the folder `given` (absolute, or relative to DATA_DIR/tracks) and answers at once with its job;
   * when a scan of that same folder runs already, answers that one (`started: false`).
   */
  async start(given: string): Promise<{ job: ScanJob; started: boolean }> {
    if (this.stopping) throw new WaveError(503, 'shutting_down', 'Wave is stopping: no new scan starts');
    const root = await resolveServerDirectory(
      given,
      { field: 'path', code: 'invalid_path', baseDir: this.tracksDir, baseName: 'DATA_DIR/tracks' },
      this.storage,
    );
    this.prune();
    // No await from here to the job's creation: two requests for one folder cannot both start it.
    const running = [...this.runs.values()].filter((run) => run.job.state === 'running');
    const same = running.find((run) => run.job.path === root);
    if (same) return { job: viewOf(same), started: false };
    const overlapping = running.find((run) => isInside(run.job.path, root) || isInside(root, run.job.path));
    if (overlapping) {
      throw new WaveError(
        409,
        'scan_overlap',
        `path ${given} overlaps the running scan ${overlapping.job.id} of ${overlapping.job.path}: wait for it to finish, so no file is imported twice`,
      );
    }
    if (running.length >= MAX_RUNNING_SCANS) {
      throw new WaveError(
        503,
        'scans_busy',
        `${running.length} scans are running (at most ${MAX_RUNNING_SCANS}): try again when one finished`,
      );
    }
    const run: ScanRun = {
      job: {
        id: randomUUID(),
        state: 'running',
        path: root,
        found: 0,
        added: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        failedCount: 0,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        skippedFiles: [],
        failed: [],
        error: null,
      },
      stopping: false,
      done: Promise.resolve(),
      reportedAt: 0,
    };
    this.runs.set(run.job.id, run);
    this.report(run);
    run.done = this.execute(run).catch((error: Error) => this.logger.error(`Scan ${run.job.id} of ${root} ended badly: ${error.message}`));
    return { job: viewOf(run), started: true };
  }

  /** A scan of this instance; 404 `scan_not_found` when it never ran here or was forgotten. */
  get(id: string): ScanJob {
    this.prune();
    const run = this.runs.get(id);
    if (!run) {
      throw new WaveError(
        404,
        'scan_not_found',
        `No scan with id ${id} (scans are kept ${SCAN_RETENTION_MS / 60_000} min, the last ${KEPT_SCANS}, by the Wave instance that ran them)`,
      );
    }
    return viewOf(run);
  }

  /** The scans this instance runs and remembers, newest first. */
  list(): ScanJob[] {
    this.prune();
    return [...this.runs.values()].reverse().map(viewOf);
  }

  /** Running scans stop at their next file (what was stored stays); the database is still open then. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const running = [...this.runs.values()].filter((run) => run.job.state === 'running');
    for (const run of running) run.stopping = true;
    await Promise.all(running.map((run) => run.done));
  }

  private async execute(run: ScanRun): Promise<void> {
    const started = Date.now();
    try {
      await this.walk(run);
      run.job.state = 'done';
    } catch (error) {
      run.job.state = 'failed';
      run.job.error = (error as Error).message;
    }
    run.job.finishedAt = new Date().toISOString();
    const { job } = run;
    const seconds = (Date.now() - started) / 1000;
    const summary =
      `Scan ${job.id} of ${job.path} ${job.state} in ${seconds.toFixed(1)} s: ${job.found} found, ${job.added} added, ${job.updated} updated, ` +
      `${job.unchanged} unchanged, ${job.skipped} skipped, ${job.failedCount} failed${job.error ? ` (${job.error})` : ''}`;
    if (job.state === 'done') this.logger.log(summary);
    else this.logger.warn(summary);
    this.events.emit('tracks.scan.finished', viewOf(run));
  }

  private async walk(run: ScanRun): Promise<void> {
    const root = run.job.path;
    const folders: string[] = [root];
    const batch: Candidate[] = [];
    // Real paths imported through links (a few, not the tree): two links to one file import it once.
    const linkTargets = new Set<string>();
    while (folders.length > 0) {
      if (run.stopping) throw new ScanStopped();
      const dir = folders.pop()!;
      let entries: DirEntry[];
      try {
        entries = await this.storage.listEntries(dir);
      } catch (error) {
        if (dir === root) throw error;
        run.job.found++;
        this.failed(run, dir, reasonOf(error));
        continue;
      }
      // Name order (code points: fast on a folder of 100,000 names, and the same on every machine).
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const inside: string[] = [];
      let sinceTurn = 0;
      for (const entry of entries) {
        if (run.stopping) throw new ScanStopped();
        const path = join(dir, entry.name);
        const decision = decideEntry(entry.name, entry.kind, path);
        if (decision.kind === 'descend') {
          inside.push(path);
          continue;
        }
        run.job.found++;
        if (decision.kind === 'skip') {
          this.skipped(run, path, decision.reason);
        } else if (decision.kind === 'file') {
          batch.push({ shown: path, file: path });
        } else {
          const real = await this.storage.realPath(path);
          const info = real === null ? null : await this.storage.stat(real).catch(() => null);
          const link = decideLink(real, info, root, linkTargets);
          if (link.kind === 'skip') {
            this.skipped(run, path, link.reason);
          } else {
            linkTargets.add(link.file);
            batch.push({ shown: path, file: link.file });
          }
        }
        if (batch.length >= SCAN_BATCH_SIZE) {
          await this.flush(run, batch.splice(0));
        } else if (++sinceTurn >= ENTRIES_PER_TURN) {
          sinceTurn = 0;
          await nextTurn();
        }
        this.report(run);
      }
      // Depth first, in name order: the last folder pushed is walked next.
      for (let i = inside.length - 1; i >= 0; i--) folders.push(inside[i]);
      await nextTurn();
    }
    await this.flush(run, batch);
    if (run.stopping) throw new ScanStopped();
  }

  /** Stamps, decisions, probes and writes for one batch of files. */
  private async flush(run: ScanRun, batch: Candidate[]): Promise<void> {
    if (batch.length === 0) return;
    const found = await Promise.all(
      batch.map(async (candidate) => {
        try {
          return { candidate, info: await this.storage.stat(candidate.file) };
        } catch (error) {
          return { candidate, error };
        }
      }),
    );
    const present: Array<{ candidate: Candidate; info: FileInfo; path: string }> = [];
    for (const { candidate, info, error } of found) {
      if (error !== undefined) this.failed(run, candidate.shown, reasonOf(error));
      else if (!info) this.failed(run, candidate.shown, 'ENOENT: gone before it was read');
      else if (!info.isFile) this.skipped(run, candidate.shown, SKIP_REASONS.notRegular);
      else present.push({ candidate, info, path: this.libraryPath(candidate.file) });
    }

    const stamps = await this.tracks.fileStamps(present.map((p) => p.path));
    const refreshes: FileRefresh[] = [];
    const toRead: Array<(typeof present)[number] & { known: boolean }> = [];
    for (const file of present) {
      const decision = decideFile(stamps.get(file.path), file.info);
      if (decision === 'unchanged') {
        run.job.unchanged++;
      } else if (decision === 'stamp') {
        refreshes.push({ path: file.path, fileSize: file.info.size, fileMtimeMs: file.info.mtimeMs });
        run.job.unchanged++;
      } else {
        toRead.push({ ...file, known: decision === 'changed' });
      }
    }

    const added: NewTrack[] = [];
    let changedFiles = 0;
    await forEachAtMost(PROBE_CONCURRENCY, toRead, async ({ candidate, info, path, known }) => {
      if (run.stopping) return;
      const metadata = await this.read(run, candidate);
      if (!metadata) return;
      const fields = trackFields(metadata, candidate.file);
      if (known) {
        refreshes.push({ path, fileSize: info.size, fileMtimeMs: info.mtimeMs, metadata: fields });
        changedFiles++;
      } else {
        added.push({
          ...fields,
          id: randomUUID(),
          tags: normalizeTags(metadata.labels.filter((label) => !CONTROL_CHARACTERS.test(label))),
          path,
          addedAt: new Date().toISOString(),
          fileSize: info.size,
          fileMtimeMs: info.mtimeMs,
        });
      }
    });

    // In the walk's order (the probes finish in any order): the playlist gets the folder as it is sorted.
    const order = new Map(toRead.map((file, i) => [file.path, i]));
    added.sort((a, b) => order.get(a.path)! - order.get(b.path)!);
    await this.tracks.insert(added);
    run.job.added += added.length;
    if (added.length > 0)
      await this.changed(
        'added',
        added.map((track) => track.id),
      );
    const refreshed = await this.tracks.refreshFiles(refreshes);
    run.job.updated += changedFiles;
    if (refreshed.length > 0) await this.changed('updated', refreshed);
    this.report(run);
    await nextTurn();
  }

  /** ffprobe's metadata of an audio file; null when it is skipped or failed (counted). */
  private async read(run: ScanRun, candidate: Candidate): Promise<AudioMetadata | null> {
    try {
      if (!(await this.storage.isReadable(candidate.file))) {
        this.failed(run, candidate.shown, 'EACCES: not readable by Wave');
        return null;
      }
      const metadata = await this.probe.probeAudio(candidate.file);
      if (!metadata) this.skipped(run, candidate.shown, SKIP_REASONS.notAudio);
      return metadata;
    } catch (error) {
      this.failed(run, candidate.shown, reasonOf(error));
      return null;
    } finally {
      this.report(run);
    }
  }

  /** As TracksService stores a path: relative to DATA_DIR/tracks inside it, else absolute. */
  private libraryPath(file: string): string {
    return isInside(this.tracksDir, file) ? relative(this.tracksDir, file) : file;
  }

  private skipped(run: ScanRun, file: string, reason: string): void {
    run.job.skipped++;
    listProblem(run.job.skippedFiles, { file, reason });
  }

  private failed(run: ScanRun, file: string, reason: string): void {
    run.job.failedCount++;
    listProblem(run.job.failed, { file, reason });
  }

  /** `tracks.scan.progress`, at most every SCAN_PROGRESS_INTERVAL_MS (the finished event carries the last counts). */
  private report(run: ScanRun): void {
    const now = Date.now();
    if (now - run.reportedAt < SCAN_PROGRESS_INTERVAL_MS) return;
    run.reportedAt = now;
    this.events.emit('tracks.scan.progress', progressOf(run));
  }

  private async changed(reason: WaveEventMap['tracks.updated']['reason'], trackIds: string[]): Promise<void> {
    const count = await this.tracks.count().catch(() => -1);
    this.events.emit('tracks.updated', { reason, trackIds, count, at: new Date().toISOString() });
  }

  /** Forgets finished scans past SCAN_RETENTION_MS, and all but the last KEPT_SCANS finished ones. */
  private prune(): void {
    const finished = [...this.runs.values()].filter((run) => run.job.state !== 'running');
    const cutoff = Date.now() - SCAN_RETENTION_MS;
    finished.forEach((run, i) => {
      if (i < finished.length - KEPT_SCANS || Date.parse(run.job.finishedAt!) < cutoff) this.runs.delete(run.job.id);
    });
  }
}

function trackFields(metadata: AudioMetadata, file: string): Pick<NewTrack, 'title' | 'artist' | 'album' | 'genre' | 'duration'> {
  return {
    title: (metadata.title || titleFromFileName(basename(file))).slice(0, MAX_TAG_LENGTH),
    artist: metadata.artist.slice(0, MAX_TAG_LENGTH),
    album: metadata.album.slice(0, MAX_TAG_LENGTH),
    genre: metadata.genre.slice(0, MAX_TAG_LENGTH),
    duration: metadata.duration,
  };
}

function listProblem(list: ScanProblem[], problem: ScanProblem): void {
  if (list.length < SCAN_LISTED_PROBLEMS) list.push(problem);
}

/** Why a file could not be read: Node's words carry the code first (`EACCES: permission denied, scandir '…'`). */
function reasonOf(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (typeof code === 'string' && !message.startsWith(code)) return `${code}: ${message}`;
  return message;
}

function progressOf(run: ScanRun): ScanProgress {
  const { id, state, path, found, added, updated, unchanged, skipped, failedCount, startedAt, finishedAt } = run.job;
  const processed = added + updated + unchanged + skipped + failedCount;
  return { id, state, path, found, processed, added, updated, unchanged, skipped, failedCount, startedAt, finishedAt };
}

function viewOf(run: ScanRun): ScanJob {
  return { ...progressOf(run), skippedFiles: [...run.job.skippedFiles], failed: [...run.job.failed], error: run.job.error };
}

/** Runs `work` on every item, at most `limit` at once. */
async function forEachAtMost<T>(limit: number, items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
