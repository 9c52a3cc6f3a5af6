import autocannon, { type Result } from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWave, type WaveServer } from '../test/env/wave-server.js';
import { printTable } from './lib/stats.js';

/**
 * What a follower's forwarding costs: two Wave instances on one DATA_DIR (production mode, token set), the same
 * request sent to the leader and to the follower (which hands it to the leader and returns its answer). The
 * baseline is the leader's own answer in the same run; the ratio is what a client reaching a follower gets.
 * - a station read (GET /api/streaming/status, answered from the leader's state);
 * - a write (PUT /api/stream/telegram/config, a durable write of the document: fsync bounds both);
 * - for contrast, a library read every instance answers itself (GET /api/tracks), not forwarded.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TOKEN = 'bench-token-0123456789abcdef';

interface Target {
  name: string;
  path: string;
  method: 'GET' | 'PUT';
  body?: string;
}

const TARGETS: Target[] = [
  { name: 'station read GET /api/streaming/status', path: '/api/streaming/status', method: 'GET' },
  { name: 'write PUT /api/stream/telegram/config', path: '/api/stream/telegram/config', method: 'PUT', body: '{"source":"playlist"}' },
  { name: 'library read GET /api/tracks (not forwarded)', path: '/api/tracks?limit=10', method: 'GET' },
];

function load(server: WaveServer, target: Target, duration: number): Promise<Result> {
  return autocannon({
    url: `${server.baseUrl}${target.path}`,
    method: target.method,
    body: target.body,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration,
  });
}

describe('bench: forwarding from a follower to the leader', () => {
  it('measures each request through the follower against the same request to the leader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wave-bench-forward-'));
    const env = { NODE_ENV: 'production', WAVE_API_TOKEN: TOKEN, PM2_HOME: join(dir, 'pm2'), WAVE_TRUST_PROXY: 'loopback' };
    const dataDir = join(dir, 'data');
    const leader = await startWave({ dataDir, logDir: join(dir, 'logs-a'), env, quiet: true });
    const follower = await startWave({ dataDir, logDir: join(dir, 'logs-b'), env, quiet: true });
    const runs = new Map<string, Result[]>();
    try {
      const status = (await (await fetch(`${follower.baseUrl}/api/streaming/status`)).json()) as { leader: { url: string } };
      expect(status.leader.url).toBe(leader.baseUrl);
      // Warm-up: JIT, keep-alive connections, the follower's pool to the leader.
      for (const target of TARGETS) for (const server of [leader, follower]) await load(server, target, 1);
      for (let pass = 0; pass < PASSES; pass += 1) {
        const order = pass % 2 === 0 ? (['leader', 'follower'] as const) : (['follower', 'leader'] as const);
        for (const target of TARGETS)
          for (const role of order) {
            const key = `${target.name}|${role}`;
            runs.set(key, [...(runs.get(key) ?? []), await load(role === 'leader' ? leader : follower, target, DURATION_S)]);
          }
      }
    } finally {
      await follower.dispose();
      await leader.dispose();
      await rm(dir, { recursive: true, force: true });
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const reqPerSec = (key: string) => mean(runs.get(key)!.map((r) => r.requests.average));
    const p50 = (key: string) => Math.max(...runs.get(key)!.map((r) => r.latency.p50));
    printTable(`Forwarding, ${CONNECTIONS} connections, ${PASSES} × ${DURATION_S} s each (means over passes)`, [
      ['request', 'leader req/s', 'follower req/s', 'follower / leader', 'leader p50 ms', 'follower p50 ms'],
      ...TARGETS.map(({ name }) => [
        name,
        Math.round(reqPerSec(`${name}|leader`)),
        Math.round(reqPerSec(`${name}|follower`)),
        (reqPerSec(`${name}|follower`) / reqPerSec(`${name}|leader`)).toFixed(2),
        p50(`${name}|leader`),
        p50(`${name}|follower`),
      ]),
    ]);
    for (const results of runs.values()) for (const r of results) expect(r.errors + r.timeouts + r.non2xx).toBe(0);
  });
});
