import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { lock } from 'proper-lockfile';

/** How long locks live and how long a caller waits for one (FILE_LOCK_TIMINGS overrides them, e.g. in specs). */
export interface FileLockTimings {
  /**
   * A lock whose directory's mtime is older than this is a dead holder's (a SIGKILL, a lost host) and is taken
   * over. A live holder refreshes it every staleMs / 4, at least every second (proper-lockfile's minimum stale time is 2 s).
   */
  staleMs: number;
  /** How long a request waits for a lock another instance holds before it is told the document is busy. */
  waitMs: number;
  /** How long boot and background writers wait: past staleMs, so a lock left by a crash is taken over, not given up on. */
  patientWaitMs: number;
}

/**
 * A holder refreshes its lock every second, so a SIGKILLed one's lock goes stale 3–4 s after it died: a request that
 * started waiting at that moment still gets it within its 5 s. An event loop stalled for 4 s would lose its lock.
 */
export const DEFAULT_FILE_LOCK_TIMINGS: FileLockTimings = { staleMs: 4_000, waitMs: 5_000, patientWaitMs: 15_000 };

export const FILE_LOCK_TIMINGS = Symbol('FILE_LOCK_TIMINGS');

/** The lock is held elsewhere (another Wave instance) for longer than the caller would wait. */
export class FileLockBusyError extends Error {
  readonly code = 'ELOCKED';
  constructor(
    readonly path: string,
    readonly waitedMs: number,
  ) {
    super(`${path}.lock is held by another process (waited ${waitedMs} ms)`);
  }
}

/** Releases a held lock. */
export type ReleaseLock = () => Promise<void>;

// Module-level, so the class has no private member and a fake can stand in for it by shape.
const logger = new Logger('FileLockRepository');

/** Between two tries for a held lock: short and jittered, so waiters on one lock do not try in step. */
const RETRY_MIN_MS = 5;
const RETRY_MAX_MS = 40;

/**
 * Cross-process locks on files, for read-modify-writes of DATA_DIR shared by several Wave instances: proper-lockfile's
 * `<file>.lock` directory (mkdir is atomic on local and network file systems), refreshed while held, taken over when
 * its holder stopped refreshing it for `staleMs`. One process must not ask twice for the same file at once (callers
 * keep an in-process mutex in front). Errors other than "held" (ENOSPC, EACCES, …) pass through as node's.
 */
@Injectable()
export class FileLockRepository {
  readonly timings: FileLockTimings;

  constructor(@Optional() @Inject(FILE_LOCK_TIMINGS) timings?: Partial<FileLockTimings>) {
    this.timings = { ...DEFAULT_FILE_LOCK_TIMINGS, ...timings };
  }

  /** Takes the lock of `path` (the file need not exist), waiting up to `waitMs`; rejects with FileLockBusyError past that. */
  async acquire(path: string, waitMs: number = this.timings.waitMs): Promise<ReleaseLock> {
    const started = Date.now();
    for (;;) {
      try {
        return await lock(path, {
          realpath: false,
          stale: this.timings.staleMs,
          update: Math.max(1_000, this.timings.staleMs / 4),
          retries: 0,
          // The default throws from a timer, which would end the process: a lock lost while held (the event loop
          // stalled past staleMs, the directory removed by hand) is an operator's problem to hear about.
          onCompromised: (error) =>
            logger.error(`the lock of ${path} was lost while held (${error.message}); another instance may have written it meanwhile`),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
        const waited = Date.now() - started;
        if (waited >= waitMs) throw new FileLockBusyError(path, waited);
        const pause = RETRY_MIN_MS + Math.random() * (RETRY_MAX_MS - RETRY_MIN_MS);
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, waitMs - waited)));
      }
    }
  }

  /** Runs `fn` holding the lock of `path`, and releases it however `fn` ends. */
  async withLock<T>(path: string, fn: () => Promise<T>, waitMs?: number): Promise<T> {
    const release = await this.acquire(path, waitMs);
    try {
      return await fn();
    } finally {
      await release().catch((error: Error) => logger.warn(`could not release the lock of ${path}: ${error.message}`));
    }
  }
}

/** The lock directory of `file`: never a document nor a temp file (see isOrphanedTempFile). */
export function lockPathOf(file: string): string {
  return `${file}.lock`;
}
