/** Exponential reconnect delays: 1 s, 2 s, 4 s … capped at 30 s; reset once a connection has held. */
export class Backoff {
  private attempts = 0;

  constructor(
    readonly initialMs = 1000,
    readonly maxMs = 30_000,
    readonly factor = 2,
  ) {}

  /** Attempts made since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next attempt (and counts it). */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempts);
    this.attempts += 1;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }
}
