import { execFile } from 'node:child_process';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';

const run = promisify(execFile);
const WRITES = 500;

/**
 * SIGKILL while 500 writes are in flight, at four points of the burst: every write Wave acknowledged
 * (201) is in the library after a restart, every data file parses, and nothing was moved aside.
 */
describe('kill -9 during 500 concurrent writes', () => {
  let media: string;
  let dataDir: string;
  let logDir: string;
  let wave: WaveServer | undefined;

  beforeAll(async () => {
    media = await makeTempDir('chaos-kill-media');
    dataDir = await makeTempDir('chaos-kill-data');
    logDir = await makeTempDir('chaos-kill-logs');
    const song = join(media, 'song.mp3');
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', song]);
    for (let i = 0; i < WRITES; i++) await copyFile(song, join(media, `copy-${i}.mp3`));
  });

  afterAll(async () => {
    await wave?.dispose();
  });

  it.each([0.1, 0.4, 0.7, 0.95])('killed after %s of the burst was acknowledged: no acknowledged write lost', async (fraction) => {
    wave = await startWave({ dataDir, logDir, keepDirs: true });
    const server = wave;
    const acknowledged: string[] = [];
    const killAt = Math.floor(WRITES * fraction);
    let killed: Promise<unknown> | undefined;
    const writes = Array.from({ length: WRITES }, (_, i) =>
      call<{ id: string }>(server, 'POST', '/api/tracks', { path: join(media, `copy-${i}.mp3`), title: `kill ${fraction} #${i}` })
        .then((res) => {
          if (res.status !== 201 || killed) return;
          acknowledged.push(res.body.id);
          if (acknowledged.length >= killAt) {
            server.process.kill('SIGKILL');
            killed = new Promise((resolve) => server.process.once('exit', resolve));
          }
        })
        .catch(() => undefined), // the connection dies with the server
    );
    await Promise.all(writes);
    await killed;
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAt);

    wave = await startWave({ dataDir, logDir, keepDirs: true });
    const { body } = await call<{ tracks: Array<{ id: string }> }>(wave, 'GET', '/api/tracks');
    const stored = new Set(body.tracks.map((t) => t.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const files = await readdir(dataDir);
    expect(files.filter((f) => f.includes('.corrupt-'))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const text = await readFile(join(dataDir, file), 'utf8');
      expect(() => JSON.parse(text), file).not.toThrow();
    }
    await wave.stop();
  });
});
