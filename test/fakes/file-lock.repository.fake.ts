import {
  DEFAULT_FILE_LOCK_TIMINGS,
  FileLockBusyError,
  type FileLockRepository,
  type FileLockTimings,
  type ReleaseLock,
} from '../../src/repositories/file-lock.repository.js';
import type { RepositoryApi } from './repository-api.js';

/**
 * FileLockRepository double, in memory: `heldElsewhere` are locks another instance holds (acquire waits its
 * timings' waitMs for them, then is busy), `failWith` makes the next acquire fail as the file system would (ENOSPC).
 * `acquired` counts the locks taken, per path.
 */
export class FakeFileLockRepository implements RepositoryApi<FileLockRepository> {
  readonly timings: FileLockTimings;
  readonly heldElsewhere = new Set<string>();
  readonly acquired = new Map<string, number>();
  failWith: string | null = null;
  private readonly held = new Set<string>();

  constructor(timings: Partial<FileLockTimings> = {}) {
    this.timings = { ...DEFAULT_FILE_LOCK_TIMINGS, waitMs: 50, patientWaitMs: 100, ...timings };
  }

  async acquire(path: string, waitMs: number = this.timings.waitMs): Promise<ReleaseLock> {
    if (this.failWith) {
      const code = this.failWith;
      this.failWith = null;
      throw Object.assign(new Error(`${code}: injected by the test`), { code });
    }
    const started = Date.now();
    while (this.heldElsewhere.has(path) || this.held.has(path)) {
      if (Date.now() - started >= waitMs) throw new FileLockBusyError(path, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.held.add(path);
    this.acquired.set(path, (this.acquired.get(path) ?? 0) + 1);
    return async () => {
      this.held.delete(path);
    };
  }

  async withLock<T>(path: string, fn: () => Promise<T>, waitMs?: number): Promise<T> {
    const release = await this.acquire(path, waitMs);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
