import { expect } from 'vitest';
import { Worker } from 'node:worker_threads';

export interface LoopProbeResult {
  /** Probes answered while the probe ran. */
  count: number;
  /** Slowest probe round trip, ms: an upper bound of the longest stall of the server's event loop. */
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Probes that got no 200 (or no answer). */
  failed: number;
  /** Every probe: when it was sent (ms since the epoch) and how long it took. */
  samples: Array<{ at: number; ms: number }>;
}

export interface LoopProbe {
  stop(): Promise<LoopProbeResult>;
}

// Plain JavaScript run in a worker thread: the probe has an event loop of its own, so the test's own work
// (building and sending hostile requests, reading answers) cannot delay a probe and pass for a stall of Wave's.
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, intervalMs, warmUp } = workerData;
const samples = [];
let failed = 0;
let stopping = false;
parentPort.on('message', () => (stopping = true));
(async () => {
  // The first probes of a fresh worker pay for its own start (compiling fetch, opening the connection):
  // they are not counted, and the caller starts its work once they are done.
  for (let round = -warmUp; !stopping; round++) {
    if (round === 0) parentPort.postMessage('ready');
    const started = performance.now();
    let ok = false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(30000) });
      await res.arrayBuffer();
      ok = res.status === 200;
    } catch {}
    if (round >= 0) {
      if (!ok) failed++;
      samples.push({ at: performance.timeOrigin + started, ms: performance.now() - started });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  parentPort.postMessage({ samples, failed });
})();
`;

/**
 * Times `GET /health/live` in a loop (every `intervalMs`) until stop(), from a worker thread. Wave's
 * event-loop delay is not reachable from outside, and needs nothing new exposed: a probe that waits
 * N ms for an answer Wave computes in well under one means the loop was held for about N ms.
 */
export function startLoopProbe(baseUrl: string, intervalMs = 5): LoopProbe & { ready: Promise<void> } {
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { url: `${baseUrl}/health/live`, intervalMs, warmUp: 10 } });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<{ samples: Array<{ at: number; ms: number }>; failed: number }>((resolve, reject) => {
    worker.on('message', (message: unknown) =>
      message === 'ready' ? markReady() : resolve(message as { samples: Array<{ at: number; ms: number }>; failed: number }),
    );
    worker.once('error', reject);
  });
  return {
    ready,
    async stop() {
      worker.postMessage('stop');
      const { samples, failed } = await done;
      await worker.terminate();
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { count: samples.length, maxMs: sorted.at(-1) ?? 0, p50Ms: at(0.5), p99Ms: at(0.99), failed, samples };
    },
  };
}

/** Runs `work` while probing; resolves with what `work` returned and the probe's figures. */
export async function withLoopProbe<T>(baseUrl: string, work: () => Promise<T>): Promise<{ result: T; loop: LoopProbeResult }> {
  const probe = startLoopProbe(baseUrl);
  await probe.ready;
  // A few counted probes first, so the figures cover the whole of `work`.
  await new Promise((r) => setTimeout(r, 20));
  try {
    const result = await work();
    return { result, loop: await probe.stop() };
  } catch (error) {
    await probe.stop();
    throw error;
  }
}

/**
 * Runs `work` `rounds` times, each under its own probe. A request that holds Wave's loop for N ms shows as
 * ≥ N ms in every round; other processes taking the shared cores (2 here) delay probes at random. So the
 * smallest per-round maximum bounds what the requests themselves cost, and the largest is the worst seen.
 */
export async function loopRounds<T>(
  baseUrl: string,
  rounds: number,
  work: (round: number) => Promise<T>,
): Promise<{ results: T[]; maxima: number[]; best: number; worst: number }> {
  const results: T[] = [];
  const maxima: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const { result, loop } = await withLoopProbe(baseUrl, () => work(round));
    expect(loop.failed, `round ${round}: /health/live did not answer`).toBe(0);
    results.push(result);
    maxima.push(loop.maxMs);
  }
  return { results, maxima, best: Math.min(...maxima), worst: Math.max(...maxima) };
}
