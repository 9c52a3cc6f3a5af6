export interface RecentResultOptions {
  /**
   * Once a successful read is older than maxAgeMs, answer with it while one fresh read runs in the
   * background (callers never wait on the periodic re-read). `forget()` still makes callers wait.
   */
  refreshInBackground?: boolean;
}

interface Entry<T> {
  result: Promise<T>;
  settledAt: number | null;
}

/**
 * Shares one run of an async read between callers: a call while a read is in flight joins it, and a
 * finished read is reused until it is `maxAgeMs` old (0: only joined while in flight, so every answer
 * comes from a read that was running when it was asked for). `forget()` makes the next call wait for a
 * new read (for when the state is known to have changed). A failed read is never reused.
 */
export class RecentResult<T> {
  private entry: Entry<T> | null = null;
  private refreshing = false;
  /** Bumped by forget(), so a read started before it is not kept. */
  private generation = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly read: () => Promise<T>,
    private readonly options: RecentResultOptions = {},
  ) {}

  get(): Promise<T> {
    const entry = this.entry;
    if (entry && (entry.settledAt === null || Date.now() - entry.settledAt < this.maxAgeMs)) return entry.result;
    if (entry && this.options.refreshInBackground) {
      this.refresh();
      return entry.result;
    }
    return this.start();
  }

  forget(): void {
    this.entry = null;
    this.generation += 1;
  }

  private start(): Promise<T> {
    const generation = this.generation;
    const entry: Entry<T> = { result: this.read(), settledAt: null };
    this.entry = entry;
    entry.result.then(
      () => {
        if (this.entry === entry) entry.settledAt = Date.now();
      },
      () => {
        if (this.entry === entry && this.generation === generation) this.entry = null;
      },
    );
    return entry.result;
  }

  private refresh(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    const generation = this.generation;
    const result = this.read();
    result.then(
      () => {
        this.refreshing = false;
        if (this.generation === generation) this.entry = { result, settledAt: Date.now() };
      },
      () => {
        this.refreshing = false;
        if (this.generation === generation) this.entry = null;
      },
    );
  }
}
