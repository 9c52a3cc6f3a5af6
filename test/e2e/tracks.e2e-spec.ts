import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { makeTone } from '../env/media.js';

// The track library through the built server: real ffprobe on real files, the real document store.

interface Track {
  id: string;
  title: string;
  artist: string;
  path: string;
  duration: number;
}

/** What the tests read from Wave's JSON answers. */
interface Answer {
  code?: string;
  message?: string[];
  tracks?: Track[];
  nowPlaying?: { trackId: string } | null;
}

async function upload(wave: WaveServer, name: string, content: Buffer, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([content]), name);
  const res = await fetch(`${wave.baseUrl}/api/tracks/upload`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Track & Answer };
}

describe('Track library end to end', () => {
  let wave: WaveServer;
  let media: string;
  let song: string;
  const tracksFile = () => join(wave.dataDir, 'audio-tracks.json');
  const storedFiles = async () => (await readdir(join(wave.dataDir, 'tracks')).catch(() => [])).sort();

  beforeAll(async () => {
    media = await makeTempDir('tracks-media');
    song = join(media, 'night-drive.mp3');
    await makeTone(song, { seconds: 2, tags: { title: 'Night Drive', artist: 'Wave Ensemble' } });
    await writeFile(join(media, 'notes.mp3'), 'this is text with an audio name');
    wave = await startWave({ env: { TRACK_UPLOAD_MAX_MB: '1' } });
  });

  afterAll(async () => {
    await wave?.dispose();
  });

  it('adds a file by path with the title, artist and duration ffprobe reads', async () => {
    const { status, body } = await call<Track>(wave, 'POST', '/api/tracks', { path: song });
    expect(status).toBe(201);
    expect(body).toMatchObject({ title: 'Night Drive', artist: 'Wave Ensemble', path: song });
    expect(body.duration).toBeCloseTo(2, 0);
    expect((await call<Answer>(wave, 'GET', '/api/tracks')).body.tracks!.map((t) => t.id)).toEqual([body.id]);
  });

  it('refuses paths that are not readable audio files, naming why, and stores nothing', async () => {
    const before = await readFile(tracksFile());
    for (const [path, status, code] of [
      ['/etc/passwd', 400, 'invalid_path'],
      [media, 400, 'invalid_path'],
      [join(media, 'missing.mp3'), 400, 'invalid_path'],
      [join(media, 'notes.mp3'), 415, 'not_audio'],
    ] as const) {
      const res = await call<Answer>(wave, 'POST', '/api/tracks', { path });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status, code });
    }
    expect((await call<Answer>(wave, 'POST', '/api/tracks', { path: song, bogus: 1 })).body.message).toEqual([
      'property bogus should not exist',
    ]);
    expect(await readFile(tracksFile())).toEqual(before);
  });

  it('stores an uploaded audio file and refuses a non-audio or oversized upload, storing nothing', async () => {
    const before = await readFile(tracksFile());
    const text = await upload(wave, 'song.mp3', Buffer.from('not audio at all, whatever the name says'));
    expect(text).toMatchObject({ status: 415, body: { code: 'not_audio' } });
    const big = await upload(wave, 'big.mp3', Buffer.alloc(1024 * 1024 + 10, 1));
    expect(big).toMatchObject({ status: 413, body: { code: 'file_too_large' } });
    expect(await storedFiles()).toEqual([]);
    expect(await readFile(tracksFile())).toEqual(before);

    const good = await upload(wave, 'night drive.mp3', await readFile(song), { title: 'Uploaded' });
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ title: 'Uploaded', artist: 'Wave Ensemble', path: `${good.body.id}.mp3` });
    expect(await storedFiles()).toEqual([`${good.body.id}.mp3`]);

    // Deleting an uploaded track removes its file; nothing else is touched.
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${good.body.id}`)).status).toBe(204);
    expect(await storedFiles()).toEqual([]);
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${good.body.id}`)).status).toBe(404);
  });

  it('updates and reorders; a reorder that does not name every track once is refused', async () => {
    const second = (await call<Track>(wave, 'POST', '/api/tracks', { path: song, title: 'Second' })).body;
    const ids = (await call<Answer>(wave, 'GET', '/api/tracks')).body.tracks!.map((t) => t.id);
    expect((await call<Answer>(wave, 'PATCH', `/api/tracks/${second.id}`, { artist: 'Someone Else' })).body).toMatchObject({
      title: 'Second',
      artist: 'Someone Else',
    });
    expect((await call<Answer>(wave, 'PATCH', `/api/tracks/${second.id}`, { duration: 5 })).status).toBe(400);
    expect((await call<Answer>(wave, 'PUT', '/api/tracks/order', { trackIds: [second.id] })).status).toBe(409);
    const reordered = await call<Answer>(wave, 'PUT', '/api/tracks/order', { trackIds: [...ids].reverse() });
    expect(reordered.body.tracks!.map((t) => t.id)).toEqual([...ids].reverse());
  });

  it('reports nothing playing while the Telegram stream does not run', async () => {
    expect(await call<Answer>(wave, 'GET', '/api/tracks/now-playing')).toEqual({ status: 200, body: { nowPlaying: null } });
  });

  it('keeps every acknowledged track of 200 concurrent adds, and the file parses', async () => {
    const copies = join(media, 'copies');
    await mkdir(copies);
    const paths = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const path = join(copies, `copy-${i}.mp3`);
        await copyFile(song, path);
        return path;
      }),
    );
    const before = (await call<Answer>(wave, 'GET', '/api/tracks')).body.tracks!.length;
    const started = Date.now();
    const results = await Promise.all(paths.map((path, i) => call<Track>(wave, 'POST', '/api/tracks', { path, title: `Copy ${i}` })));
    const elapsed = Date.now() - started;
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.id);
    console.info(`[tracks] 200 concurrent adds: ${acknowledged.length} acknowledged in ${elapsed} ms`);
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);

    const stored = JSON.parse(await readFile(tracksFile(), 'utf8')) as { tracks: Track[] };
    const storedIds = new Set(stored.tracks.map((t) => t.id));
    expect(acknowledged.filter((id) => !storedIds.has(id))).toEqual([]);
    expect(stored.tracks).toHaveLength(before + 200);
  });
});
