/**
 * Shares one run of an async read between callers: a call while a read is in flight joins it, and a
 * finished read is reused until it is `maxAgeMs` old (0: only joined while in flight, so every answer
 * comes from a read that was running when it was asked for). `forget()` makes the next call read again
 * (for when the state is known to have changed). A failed read is never reused.
 */
export class RecentResult<T> {
  private entry: { result: Promise<T>; settledAt: number | null } | null = null;

  constructor(
    private readonly maxAgeMs: number,
    private readonly read: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    const entry = this.entry;
    if (entry && (entry.settledAt === null || Date.now() - entry.settledAt < this.maxAgeMs)) return entry.result;
    const result = this.read();
    const fresh: { result: Promise<T>; settledAt: number | null } = { result, settledAt: null };
    this.entry = fresh;
    result.then(
      () => {
        if (this.entry === fresh) fresh.settledAt = Date.now();
      },
      () => {
        if (this.entry === fresh) this.entry = null;
      },
    );
    return result;
  }

  forget(): void {
    this.entry = null;
  }
}
