import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { makeTone } from '../env/media.js';

const WRITES = 500;

interface Track {
  id: string;
  title: string;
}

/**
 * SIGKILL while 500 writes are in flight, at four points of the burst: every write Wave acknowledged
 * is in the library after a restart, every data file parses, and nothing was moved aside. The writes
 * are title edits of 500 tracks added first (one ffprobe each, once), so the burst is the store's alone.
 */
describe('kill -9 during 500 concurrent writes', () => {
  let dataDir: string;
  let logDir: string;
  let wave: WaveServer | undefined;
  let tracks: Track[];

  beforeAll(async () => {
    const media = await makeTempDir('chaos-kill-media');
    dataDir = await makeTempDir('chaos-kill-data');
    logDir = await makeTempDir('chaos-kill-logs');
    const song = join(media, 'song.mp3');
    await makeTone(song, { seconds: 1 });
    wave = await startWave({ dataDir, logDir, keepDirs: true });
    tracks = [];
    for (let i = 0; i < WRITES; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, WRITES - i) }, async (_, j) => {
          const path = join(media, `copy-${i + j}.mp3`);
          await copyFile(song, path);
          return call<Track>(wave!, 'POST', '/api/tracks', { path });
        }),
      );
      expect(batch.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
      tracks.push(...batch.map((r) => r.body));
    }
    await wave.stop();
  });

  afterAll(async () => {
    await wave?.dispose();
  });

  it.each([0.1, 0.4, 0.7, 0.95])('killed after %s of the burst was acknowledged: no acknowledged write lost', async (fraction) => {
    wave = await startWave({ dataDir, logDir, keepDirs: true });
    const server = wave;
    const acknowledged = new Map<string, string>();
    const killAt = Math.floor(WRITES * fraction);
    let killed: Promise<unknown> | undefined;
    const writes = tracks.map((track, i) => {
      const title = `kill ${fraction} #${i}`;
      return call<Track>(server, 'PATCH', `/api/tracks/${track.id}`, { title })
        .then((res) => {
          if (res.status !== 200 || killed) return;
          acknowledged.set(track.id, title);
          if (acknowledged.size >= killAt) {
            killed = new Promise((resolve) => server.process.once('exit', resolve));
            server.process.kill('SIGKILL');
          }
        })
        .catch(() => undefined); // the connection dies with the server
    });
    await Promise.all(writes);
    await killed;
    expect(acknowledged.size).toBeGreaterThanOrEqual(killAt);

    wave = await startWave({ dataDir, logDir, keepDirs: true });
    const { body } = await call<{ tracks: Track[] }>(wave, 'GET', '/api/tracks?limit=1000');
    const stored = new Map(body.tracks.map((t) => [t.id, t.title]));
    expect(body.tracks).toHaveLength(WRITES);
    expect([...acknowledged].filter(([id, title]) => stored.get(id) !== title)).toEqual([]);
    const files = await readdir(dataDir);
    expect(files.filter((f) => f.includes('.corrupt-'))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const text = await readFile(join(dataDir, file), 'utf8');
      expect(() => JSON.parse(text), file).not.toThrow();
    }
    await wave.stop();
  });
});
