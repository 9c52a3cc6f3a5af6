import autocannon, { Result } from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/env/ports.js';
import { forkServer } from './lib/child-server.js';
import { printTable, verdict } from './lib/stats.js';

/**
 * Read throughput of Wave's GET /api/streaming/status and GET /health in production mode, against
 *  - a bare Fastify route on Wave's own Fastify instance: the same production middleware (helmet, request
 *    ids, the per-request log line, metrics) without Nest's pipeline — the baseline the target is about;
 *  - a bare Fastify server with no middleware at all (for reference: what the middleware itself costs).
 * Targets take turns over several passes, alternating their order (the machine is shared, so drift hits all
 * alike); req/s are means over the passes.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-token-0123456789abcdef';
/** Target: Wave's req/s at least this share of the bare route's (with the same middleware). */
const THROUGHPUT_TARGET = 0.75;

async function load(url: string): Promise<Result> {
  // A short warm-up so the JIT and keep-alive connections are hot before measuring.
  await autocannon({ url, connections: CONNECTIONS, duration: 1 });
  return autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
}

describe('bench: HTTP throughput', () => {
  it('serves /api/streaming/status and /health against a bare Fastify route', async () => {
    const [barePort, wavePort, socketPort] = [await freePort(), await freePort(), await freePort()];
    const dir = await mkdtemp(join(tmpdir(), 'wave-bench-'));
    const bare = await forkServer('bare-fastify.mjs', barePort);
    const wave = await forkServer('wave-with-bare-route.mjs', wavePort, {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(wavePort),
      SOCKET_PORT: String(socketPort),
      DATA_DIR: join(dir, 'data'),
      LOG_DIR: join(dir, 'logs'),
      WAVE_API_TOKEN: TOKEN,
      // A PM2 home of its own with no daemon: the same start on every machine.
      PM2_HOME: join(dir, 'pm2'),
    });
    const waveUrl = `http://127.0.0.1:${wavePort}`;
    const targets: Array<[string, string]> = [
      ['bare route, Wave middleware', `${waveUrl}/bench/bare-status`],
      ['Wave /api/streaming/status', `${waveUrl}/api/streaming/status`],
      ['Wave /health', `${waveUrl}/health`],
      ['Wave /health/live', `${waveUrl}/health/live`],
      ['bare Fastify, no middleware', `http://127.0.0.1:${barePort}/status`],
    ];
    const runs = new Map<string, Result[]>(targets.map(([name]) => [name, []]));
    try {
      for (let pass = 0; pass < PASSES; pass += 1) {
        // Every other pass runs the targets in reverse, so none always follows the same neighbour.
        for (const [name, url] of pass % 2 === 0 ? targets : [...targets].reverse()) runs.get(name)!.push(await load(url));
      }
    } finally {
      await Promise.all([bare.stop(), wave.stop()]);
      await rm(dir, { recursive: true, force: true });
    }

    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const reqPerSec = (name: string) => mean(runs.get(name)!.map((r) => r.requests.average));
    const baseline = reqPerSec('bare route, Wave middleware');
    const plain = reqPerSec('bare Fastify, no middleware');
    printTable(`HTTP throughput, ${CONNECTIONS} connections, ${PASSES} × ${DURATION_S} s each (req/s are means over passes)`, [
      ['route', 'req/s', 'vs bare route', 'vs no middleware', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      ...targets.map(([name]) => {
        const results = runs.get(name)!;
        const sum = (pick: (r: Result) => number) => results.reduce((a, r) => a + pick(r), 0);
        return [
          name,
          Math.round(reqPerSec(name)),
          (reqPerSec(name) / baseline).toFixed(2),
          (reqPerSec(name) / plain).toFixed(2),
          Math.max(...results.map((r) => r.latency.p50)),
          Math.max(...results.map((r) => r.latency.p99)),
          sum((r) => r.non2xx),
          sum((r) => r.errors + r.timeouts),
        ];
      }),
    ]);
    for (const name of ['Wave /api/streaming/status', 'Wave /health']) {
      const share = reqPerSec(name) / baseline;
      process.stdout.write(`${name}: ${share.toFixed(2)}× the bare route (target ≥ ${THROUGHPUT_TARGET}): ${verdict(share >= THROUGHPUT_TARGET)}\n`);
    }
    for (const results of runs.values()) for (const r of results) expect(r.errors + r.timeouts).toBe(0);
  });
});
