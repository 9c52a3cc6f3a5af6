import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/env/ports.js';
import { percentile, printTable } from './lib/stats.js';

/**
 * Cold start: from spawning the process to the first 200 on its health route, for Wave (`node dist/main.js`,
 * what `npm start` runs, production mode) against a bare Fastify server started the same way, in the same run.
 * The foundation's target is Wave answering GET /health within 2 s.
 */
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const TARGET_MS = 2000;
const ROOT = resolve(import.meta.dirname, '..');

async function timeToFirst200(
  args: string[],
  port: number,
  path: string,
  env: Record<string, string>,
): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = performance.now() - started;
    const rssKb = Number((await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN);
    return { ms, rssMb: rssKb / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

describe('bench: start-up', () => {
  it('measures spawn → first /health 200 for Wave against a bare Fastify server', async () => {
    const wave: number[] = [];
    const bare: number[] = [];
    const waveRss: number[] = [];
    const bareRss: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Take turns so drift on a shared machine hits both alike.
      const dataDir = await mkdtemp(join(tmpdir(), 'wave-bench-data-'));
      const logDir = await mkdtemp(join(tmpdir(), 'wave-bench-logs-'));
      const port = await freePort();
      const w = await timeToFirst200(['dist/main.js'], port, '/health', {
        NODE_ENV: 'production',
        PORT: String(port),
        SOCKET_PORT: String(await freePort()),
        DATA_DIR: dataDir,
        LOG_DIR: logDir,
        WAVE_API_TOKEN: 'bench-token-0123456789abcdef',
      });
      wave.push(w.ms);
      waveRss.push(w.rssMb);
      await rm(dataDir, { recursive: true, force: true });
      await rm(logDir, { recursive: true, force: true });
      const barePort = await freePort();
      const b = await timeToFirst200(['bench/servers/bare-fastify.mjs', String(barePort)], barePort, '/status', {});
      bare.push(b.ms);
      bareRss.push(b.rssMb);
    }
    const row = (name: string, ms: number[], rss: number[]) => [
      name,
      percentile(ms, 50).toFixed(0),
      Math.max(...ms).toFixed(0),
      percentile(rss, 50).toFixed(0),
    ];
    printTable(`Cold start (${RUNS} runs each, interleaved)`, [
      ['server', 'p50 ms', 'max ms', 'RSS MB'],
      row('Wave (node dist/main.js, production)', wave, waveRss),
      row('bare Fastify', bare, bareRss),
    ]);
    const p50 = percentile(wave, 50);
    process.stdout.write(
      `Wave / bare start-up: ${(p50 / percentile(bare, 50)).toFixed(1)}×; Wave p50 ${p50.toFixed(0)} ms vs target ${TARGET_MS} ms: ${p50 <= TARGET_MS ? 'MET' : 'MISSED'}\n`,
    );
    expect(wave).toHaveLength(RUNS);
  });
});
