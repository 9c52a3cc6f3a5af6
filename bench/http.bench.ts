import autocannon, { Result } from 'autocannon';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/env/ports.js';
import { startWave } from '../test/env/wave-server.js';
import { forkServer } from './lib/child-server.js';
import { printTable, verdict } from './lib/stats.js';

/**
 * Read throughput of Wave's GET /api/streaming/status and GET /health (the built server in production mode:
 * helmet, request ids, a log line per request, token guard, validation) against a bare Fastify route
 * answering a JSON body of the same shape, in one run. The bare route runs before and after Wave; its
 * mean is the baseline (the machine is shared, so drift is averaged out).
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-token-0123456789abcdef';
/** Target: Wave's req/s at least this share of the bare route's. */
const THROUGHPUT_TARGET = 0.75;

async function load(url: string): Promise<Result> {
  // A short warm-up so the JIT and connection pools are hot before measuring.
  await autocannon({ url, connections: CONNECTIONS, duration: 1 });
  return autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
}

describe('bench: HTTP throughput', () => {
  it('serves /api/streaming/status and /health against a bare Fastify route', async () => {
    const barePort = await freePort();
    const bare = await forkServer('bare-fastify.mjs', barePort);
    const results: Array<[string, Result]> = [];
    try {
      results.push(['bare Fastify /status (before)', await load(`http://127.0.0.1:${barePort}/status`)]);
      const wave = await startWave({ quiet: true, env: { NODE_ENV: 'production', WAVE_API_TOKEN: TOKEN, WAVE_RATE_LIMIT: '300' } });
      try {
        results.push(['Wave /api/streaming/status', await load(`${wave.baseUrl}/api/streaming/status`)]);
        results.push(['Wave /health', await load(`${wave.baseUrl}/health`)]);
        results.push(['Wave /health/live', await load(`${wave.baseUrl}/health/live`)]);
      } finally {
        await wave.dispose();
      }
      results.push(['bare Fastify /status (after)', await load(`http://127.0.0.1:${barePort}/status`)]);
    } finally {
      await bare.stop();
    }

    const bareMean = (results[0][1].requests.average + results[results.length - 1][1].requests.average) / 2;
    printTable(`HTTP throughput, ${CONNECTIONS} connections, ${DURATION_S} s each`, [
      ['route', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      ...results.map(([name, r]) => [
        name,
        Math.round(r.requests.average),
        (r.requests.average / bareMean).toFixed(2),
        r.latency.p50,
        r.latency.p99,
        r.non2xx,
        r.errors + r.timeouts,
      ]),
    ]);
    for (const [name, r] of results.filter(([n]) => n === 'Wave /api/streaming/status' || n === 'Wave /health')) {
      const share = r.requests.average / bareMean;
      process.stdout.write(`${name}: ${share.toFixed(2)}× bare (target ≥ ${THROUGHPUT_TARGET}): ${verdict(share >= THROUGHPUT_TARGET)}\n`);
    }
    for (const [, r] of results) expect(r.errors + r.timeouts).toBe(0);
  });
});
