import type { LeaderLockRepository } from '../../src/repositories/leader-lock.repository.js';
import type { RepositoryApi } from './repository-api.js';

/**
 * The station's leader lock, in memory: free unless a spec says another instance holds it (`heldElsewhere`), or
 * `lose()` takes it away from this one (its PostgreSQL session dropped). `failing` makes each call reject.
 */
export class FakeLeaderLockRepository implements RepositoryApi<LeaderLockRepository> {
  heldElsewhere = false;
  failing: Error | null = null;
  private held = false;
  acquisitions = 0;

  describe(): string {
    return 'a fake lock';
  }

  tryAcquire(): Promise<boolean> {
    if (this.failing) return Promise.reject(this.failing);
    if (!this.held && !this.heldElsewhere) {
      this.held = true;
      this.acquisitions += 1;
    }
    return Promise.resolve(this.held);
  }

  stillHeld(): Promise<boolean> {
    return Promise.resolve(this.held && !this.failing);
  }

  release(): Promise<void> {
    this.held = false;
    return Promise.resolve();
  }

  /** The lock goes to another instance behind this one's back. */
  lose(): void {
    this.held = false;
    this.heldElsewhere = true;
  }

  get holds(): boolean {
    return this.held;
  }
}
