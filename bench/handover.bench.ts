import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { percentile, printTable, verdict } from './lib/stats.js';

/**
 * The live hand-over (issue #14): DJ start → DJ heard at the Telegram side (target ≤ 1.5 s) and DJ stop → programme
 * heard (≤ 1.0 s), and the longest silence at either switch (≤ 200 ms), as the live-takeover e2e measures them with
 * everything real (Wave, nginx-rtmp in Docker, PM2, the daemon, a listener on the local RTMPS ingest). Each run is one
 * run of that e2e's hand-over test; the table shows the median over the runs. Needs the built server (npm run bench builds).
 */
const RUNS = Number(process.env.BENCH_HANDOVER_RUNS ?? 3);
const ROOT = resolve(import.meta.dirname, '..');
const FIGURES = {
  'DJ start → DJ heard': [/DJ heard at the Telegram-side ingest: (\d+) ms/, 1500],
  'DJ stop → programme heard': [/DJ stop → playlist heard again: (\d+) ms/, 1000],
  'longest silence, switch in': [/longest silence at the switch in: (\d+) ms/, 200],
  'longest silence, switch back': [/at the switch back: (\d+) ms/, 200],
  'take → DJ heard': [/take → DJ heard: (\d+) ms/, Infinity],
  'release → programme heard (a 0.5 s fade)': [/release → programme heard: (\d+) ms/, Infinity],
} as const;

describe('live hand-over', () => {
  it(`median of ${RUNS} runs of the live-takeover e2e`, () => {
    const seen: Record<string, number[]> = Object.fromEntries(Object.keys(FIGURES).map((k) => [k, []]));
    const stages: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const result = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', 'test/e2e/live-takeover.e2e-spec.ts', '-t', 'take'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
      });
      const out = `${result.stdout}\n${result.stderr}`;
      expect(result.status, out.slice(-2000)).toBe(0);
      for (const [name, [pattern]] of Object.entries(FIGURES)) {
        const match = pattern.exec(out);
        if (match) seen[name].push(Number(match[1]));
      }
      stages.push(...out.split('\n').filter((line) => line.includes('(Δ')));
    }
    printTable(`Live hand-over (median of ${RUNS} runs; ms)`, [
      ['figure', 'median', 'min', 'max', 'target', ''],
      ...Object.entries(FIGURES).map(([name, [, target]]) => {
        const values = seen[name];
        const median = percentile(values, 50);
        return [
          name,
          median,
          Math.min(...values),
          Math.max(...values),
          Number.isFinite(target) ? `≤ ${target}` : '-',
          Number.isFinite(target) ? verdict(median <= target) : '',
        ];
      }),
    ]);
    process.stdout.write(`Stages per run (from the logs):\n${stages.map((s) => s.replace(/^.*\[takeover\]\s*/, '  ')).join('\n')}\n`);
  });
});
