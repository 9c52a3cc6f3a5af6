import autocannon, { Result } from 'autocannon';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/env/ports.js';
import { ChildServer, forkServer } from './lib/child-server.js';
import { printTable, verdict } from './lib/stats.js';

/**
 * Read throughput of Wave's GET /api/streaming/status and GET /health in production mode (token set, every
 * production hook on: security headers, request ids, the access log line, metrics, guards), against
 *  - the baseline: a bare Fastify server with no middleware, answering Wave's own status body (same size);
 *  - for reference, a bare route on Wave's own Fastify instance: the same production hooks without Nest's
 *    pipeline or Wave's handler (what the hooks cost, apart from Nest).
 * Targets take turns over several passes, alternating their order (the machine is shared, so drift hits all
 * alike); req/s are means over the passes. Beside req/s, each server's CPU time per request (from /proc) is
 * shown: it moves much less than req/s when other work shares the cores.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TOKEN = 'bench-token-0123456789abcdef';
/** Target (issue 10): Wave's req/s at least this share of the bare Fastify server's. */
const THROUGHPUT_TARGET = 0.5;
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU time of a process so far, in µs (Linux; NaN elsewhere). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}

interface Run {
  result: Result;
  cpuMicrosPerRequest: number;
}

async function load(server: ChildServer, url: string): Promise<Run> {
  // A short warm-up so the JIT and keep-alive connections are hot before measuring.
  await autocannon({ url, connections: CONNECTIONS, duration: 1 });
  const before = cpuMicros(server.process.pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  return { result, cpuMicrosPerRequest: (cpuMicros(server.process.pid) - before) / result.requests.total };
}

describe('bench: HTTP throughput', () => {
  it('serves /api/streaming/status and /health against a bare Fastify server', async () => {
    const [barePort, wavePort, socketPort] = [await freePort(), await freePort(), await freePort()];
    const dir = await mkdtemp(join(tmpdir(), 'wave-bench-'));
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
    const statusBody = await (await fetch(`${waveUrl}/api/streaming/status`)).text();
    const statusBytes = Buffer.byteLength(statusBody);
    const bare = await forkServer('bare-fastify.mjs', barePort, { BENCH_BODY: statusBody });
    const bareBytes = Buffer.byteLength(await (await fetch(`http://127.0.0.1:${barePort}/status`)).text());
    expect(bareBytes).toBe(statusBytes);

    const targets: Array<[string, ChildServer, string]> = [
      ['bare Fastify, same body size', bare, `http://127.0.0.1:${barePort}/status`],
      ['Wave /api/streaming/status', wave, `${waveUrl}/api/streaming/status`],
      ['Wave /health', wave, `${waveUrl}/health`],
      ['Wave /health/live', wave, `${waveUrl}/health/live`],
      ['bare route, Wave hooks', wave, `${waveUrl}/bench/bare-status`],
    ];
    const runs = new Map<string, Run[]>(targets.map(([name]) => [name, []]));
    try {
      for (let pass = 0; pass < PASSES; pass += 1) {
        // Every other pass runs the targets in reverse, so none always follows the same neighbour.
        for (const [name, server, url] of pass % 2 === 0 ? targets : [...targets].reverse()) runs.get(name)!.push(await load(server, url));
      }
    } finally {
      await Promise.all([bare.stop(), wave.stop()]);
      await rm(dir, { recursive: true, force: true });
    }

    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const reqPerSec = (name: string) => mean(runs.get(name)!.map((r) => r.result.requests.average));
    const cpuPerRequest = (name: string) => mean(runs.get(name)!.map((r) => r.cpuMicrosPerRequest));
    const baseline = 'bare Fastify, same body size';
    printTable(`HTTP throughput, ${CONNECTIONS} connections, ${PASSES} × ${DURATION_S} s each, body ${statusBytes} B (means over passes)`, [
      ['route', 'req/s', 'vs bare Fastify', 'server CPU µs/req', 'CPU vs bare', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      ...targets.map(([name]) => {
        const results = runs.get(name)!.map((r) => r.result);
        const sum = (pick: (r: Result) => number) => results.reduce((a, r) => a + pick(r), 0);
        return [
          name,
          Math.round(reqPerSec(name)),
          (reqPerSec(name) / reqPerSec(baseline)).toFixed(2),
          cpuPerRequest(name).toFixed(1),
          (cpuPerRequest(name) / cpuPerRequest(baseline)).toFixed(2),
          Math.max(...results.map((r) => r.latency.p50)),
          Math.max(...results.map((r) => r.latency.p99)),
          sum((r) => r.non2xx),
          sum((r) => r.errors + r.timeouts),
        ];
      }),
    ]);
    for (const name of ['Wave /api/streaming/status', 'Wave /health']) {
      const share = reqPerSec(name) / reqPerSec(baseline);
      process.stdout.write(
        `${name}: ${share.toFixed(2)}× the req/s of bare Fastify (target ≥ ${THROUGHPUT_TARGET}): ${verdict(share >= THROUGHPUT_TARGET)}\n`,
      );
    }
    for (const results of runs.values()) for (const r of results) expect(r.result.errors + r.result.timeouts).toBe(0);
    // The bench drives every route with reads only: a non-2xx would mean the numbers are not of the route asked for.
    for (const results of runs.values()) for (const r of results) expect(r.result.non2xx).toBe(0);
  });
});
