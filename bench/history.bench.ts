import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../src/database/database.js';
import { startWave, type WaveServer } from '../test/env/wave-server.js';
import { percentile, printTable } from './lib/stats.js';

/**
 * `GET /api/history` over a play history of BENCH_HISTORY_ROWS rows (1,000,000: about six years of three-minute
 * tracks), against a history of 100 rows in the same run, through the built server in production mode (SQLite).
 * The rows are written into DATA_DIR/wave.db before Wave boots, in one statement. Target: a page ≤ 50 ms.
 */
const LARGE = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const SMALL = 100;
const REPETITIONS = 20;
const STEP_S = 180;
const BASE_MS = Date.UTC(2020, 0, 1);

async function historyOf(rows: number): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wave-bench-history-'));
  const database = await Database.open({ dataDir });
  await sql`
    with recursive n(i) as (select 0 union all select i + 1 from n where i < ${rows - 1})
    insert into play_history (id, started_at, ended_at, source, track_id, title, artist)
    select printf('%08d', i),
           strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_MS / 1000} + i * ${STEP_S}, 'unixepoch'),
           strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_MS / 1000} + (i + 1) * ${STEP_S}, 'unixepoch'),
           case when i % 1000 = 0 then 'live' when i % 10 = 5 then 'radio' else 'playlist' end,
           case when i % 1000 = 0 or i % 10 = 5 then null else 't' || (i % 5000) end,
           'Title ' || i, 'Artist ' || (i % 700)
    from n`.execute(database.db);
  await database.onApplicationShutdown();
  return dataDir;
}

/** The median time of the request, and how many rows its answer held. */
async function median(wave: WaveServer, path: () => Promise<string> | string): Promise<{ ms: number; items: number }> {
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < REPETITIONS + 3; i++) {
    const target = await path();
    const started = performance.now();
    const res = await fetch(`${wave.baseUrl}${target}`);
    const body = (await res.json()) as { items?: unknown[] };
    const elapsed = performance.now() - started;
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    if (i >= 3) times.push(elapsed); // the first few warm the route
    items = body.items?.length ?? 0;
  }
  return { ms: percentile(times, 50), items };
}

describe('bench: play history', () => {
  it(`pages a history of ${LARGE} rows as fast as one of ${SMALL}`, async () => {
    const figures: Record<string, Record<number, { ms: number; items: number }>> = {};
    for (const rows of [SMALL, LARGE]) {
      const dataDir = await historyOf(rows);
      const wave = await startWave({ dataDir, quiet: true, env: { NODE_ENV: 'production' } });
      try {
        const middle = new Date(BASE_MS + Math.floor(rows / 2) * STEP_S * 1000).toISOString();
        const cursorAtMiddle = async () => {
          const first = (await (await fetch(`${wave.baseUrl}/api/history?limit=20&to=${middle}`)).json()) as { nextCursor: string };
          return `/api/history?limit=20&to=${middle}&cursor=${first.nextCursor}`;
        };
        const cases: Array<[string, () => Promise<string> | string]> = [
          ['newest page (limit=100)', () => '/api/history?limit=100'],
          ['a page from the middle (to=…, then its cursor; limit=20)', cursorAtMiddle],
          ['oldest first (order=asc)', () => '/api/history?limit=100&order=asc'],
          ['a rare source (source=live)', () => '/api/history?limit=100&source=live'],
          ['a page of 1,000', () => '/api/history?limit=1000'],
        ];
        for (const [name, path] of cases) (figures[name] ??= {})[rows] = await median(wave, path);
      } finally {
        await wave.dispose();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    // The ratio is shown for what it is: a 100-row history answers fewer rows to the last queries (see the counts).
    const table: Array<Array<string | number>> = [
      ['GET /api/history', `${SMALL} rows: ms (rows)`, `${LARGE} rows: ms (rows)`, 'ratio', 'target ≤ 50 ms'],
    ];
    for (const [name, byRows] of Object.entries(figures)) {
      const [small, large] = [byRows[SMALL], byRows[LARGE]];
      const shown = (f: { ms: number; items: number }) => `${f.ms.toFixed(2)} (${f.items})`;
      table.push([name, shown(small), shown(large), (large.ms / small.ms).toFixed(2), large.ms <= 50 ? 'PASS' : 'MISS']);
    }
    printTable(`Play history pages (median of ${REPETITIONS}), built server, production mode, SQLite`, table);
  });
});
