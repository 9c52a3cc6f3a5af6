import { copyFile, mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanJob } from '../src/contracts/socket-events.js';
import { makeTone } from '../test/env/media.js';
import { startWave } from '../test/env/wave-server.js';
import { percentile, printTable } from './lib/stats.js';

/**
 * A folder import (`POST /api/tracks/scan`) of BENCH_SCAN_FILES tiny real MP3s (one made by ffmpeg, copied; 100 a
 * folder) through the built server: files/s for the first scan (every file probed by ffprobe and inserted), a second
 * one (every file unchanged: stat + one stamp query per 100) and one after every file was touched (probed again, tags
 * refreshed). Meanwhile a `/health/live` probe every 20 ms measures how long the event loop was held.
 */
const FILES = Number(process.env.BENCH_SCAN_FILES ?? 1000);
const PER_FOLDER = 100;

describe('bench: folder import', () => {
  it(`scans ${FILES} files: first import, unchanged, all touched`, async () => {
    const music = await mkdtemp(join(tmpdir(), 'wave-bench-scan-'));
    const wave = await startWave({ quiet: true, env: { NODE_ENV: 'production' } });
    try {
      const source = join(music, 'source.mp3');
      await makeTone(source, { seconds: 1, bitrate: '32k' });
      const folder = join(music, 'library');
      const files: string[] = [];
      for (let i = 0; i < FILES; i++) {
        const dir = join(folder, `folder-${String(Math.floor(i / PER_FOLDER)).padStart(3, '0')}`);
        if (i % PER_FOLDER === 0) await mkdir(dir, { recursive: true });
        files.push(join(dir, `track-${String(i).padStart(5, '0')}.mp3`));
        await copyFile(source, files.at(-1)!);
      }

      const rows: Array<Array<string | number>> = [
        ['scan', 'files', 'seconds', 'files/s', 'added', 'updated', 'unchanged', 'loop p99 ms', 'loop max ms'],
      ];
      const measure = async (name: string) => {
        const probes: number[] = [];
        let scanning = true;
        const prober = (async () => {
          while (scanning) {
            const started = performance.now();
            await fetch(`${wave.baseUrl}/health/live`).then((r) => r.arrayBuffer());
            probes.push(performance.now() - started);
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        const res = await fetch(`${wave.baseUrl}/api/tracks/scan`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: folder }),
        });
        let job = (await res.json()) as ScanJob;
        expect(res.status, JSON.stringify(job)).toBe(202);
        while (job.state === 'running') {
          await new Promise((r) => setTimeout(r, 100));
          job = (await (await fetch(`${wave.baseUrl}/api/tracks/scan/${job.id}`)).json()) as ScanJob;
        }
        scanning = false;
        await prober;
        expect(job.state, job.error ?? '').toBe('done');
        const seconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt)) / 1000;
        rows.push([
          name,
          job.found,
          seconds.toFixed(2),
          (job.found / seconds).toFixed(0),
          job.added,
          job.updated,
          job.unchanged,
          percentile(probes, 99).toFixed(1),
          Math.max(...probes).toFixed(1),
        ]);
        return job;
      };

      expect(await measure('first (all new)')).toMatchObject({ added: FILES });
      expect(await measure('again (all unchanged)')).toMatchObject({ unchanged: FILES });
      const later = new Date(Date.now() + 60_000);
      for (const file of files) await utimes(file, later, later);
      expect(await measure('all touched')).toMatchObject({ updated: FILES });
      printTable(`Folder import of ${FILES} files (${FILES / PER_FOLDER} folders), built server, production mode`, rows);
    } finally {
      await wave.dispose();
      await rm(music, { recursive: true, force: true });
    }
  });
});
