import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase, makeTempDir, testEnv } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { makeTone } from '../env/media.js';
import { withoutSound } from '../env/track-views.js';

// The track library through the built server: real ffprobe on real files, in each database Wave runs on.

interface Track {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  tags: string[];
  path: string;
  duration: number;
}

/** What the tests read from Wave's JSON answers. */
interface Answer {
  code?: string;
  message?: string[];
  tracks?: Track[];
  nextCursor?: string | null;
  total?: number;
  nowPlaying?: { trackId: string } | null;
}

/** The databases the library runs on: the embedded default, and PostgreSQL (DATABASE_URL, a database of its own per suite). */
const DATABASES: Array<[string, () => Promise<Record<string, string>>]> = [
  ['SQLite (embedded default)', () => Promise.resolve({})],
  ['PostgreSQL (DATABASE_URL)', async () => ({ DATABASE_URL: await createDatabase(testEnv.postgresUrl(), 'tracks_e2e') })],
];

/** The library file Wave keeps beside its database, as readers outside Wave see it. */
async function snapshotIds(dataDir: string): Promise<string[]> {
  const text = await readFile(join(dataDir, 'audio-tracks.json'), 'utf8');
  return (JSON.parse(text) as { tracks: Track[] }).tracks.map((t) => t.id);
}

async function allTracks(wave: WaveServer): Promise<Track[]> {
  const tracks: Track[] = [];
  let cursor: string | null | undefined;
  do {
    const query = `limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await call<Answer>(wave, 'GET', `/api/tracks?${query}`)).body;
    tracks.push(...page.tracks!);
    cursor = page.nextCursor;
  } while (cursor);
  return tracks;
}

async function upload(wave: WaveServer, name: string, content: Buffer, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([content]), name);
  const res = await fetch(`${wave.baseUrl}/api/tracks/upload`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Track & Answer };
}

describe.each(DATABASES)('Track library end to end on %s', (_name, databaseEnv) => {
  let wave: WaveServer;
  let media: string;
  let song: string;
  let env: Record<string, string>;
  const storedFiles = async () => (await readdir(join(wave.dataDir, 'tracks')).catch(() => [])).sort();

  beforeAll(async () => {
    media = await makeTempDir('tracks-media');
    song = join(media, 'night-drive.mp3');
    await makeTone(song, { seconds: 2, tags: { title: 'Night Drive', artist: 'Wave Ensemble', album: 'Late Hours', genre: 'Synthwave' } });
    await writeFile(join(media, 'notes.mp3'), 'this is text with an audio name');
    env = { TRACK_UPLOAD_MAX_MB: '1', ...(await databaseEnv()) };
    // The seed's library file, in the seed's shape, is there before the first boot: Wave imports it.
    const dataDir = await makeTempDir('tracks-data');
    const seed = { id: 'seed-1', title: 'Seeded', artist: 'Old Wave', path: song, duration: 2, addedAt: '2026-01-01T00:00:00.000Z' };
    await writeFile(join(dataDir, 'audio-tracks.json'), JSON.stringify({ tracks: [seed] }));
    wave = await startWave({ dataDir, env });
  });

  afterAll(async () => {
    await wave?.dispose();
  });

  it('imported the seed-shaped audio-tracks.json into the empty database at first boot', async () => {
    const { body } = await call<Answer>(wave, 'GET', '/api/tracks');
    expect(body).toMatchObject({ total: 1, nextCursor: null, tracks: [{ id: 'seed-1', title: 'Seeded', album: '', genre: '', tags: [] }] });
    expect((await call<Answer>(wave, 'DELETE', '/api/tracks/seed-1')).status).toBe(204);
    await vi.waitFor(async () => expect(await snapshotIds(wave.dataDir)).toEqual([]), { timeout: 5_000 });
  });

  it('adds a file by path with the tags and duration ffprobe reads', async () => {
    const { status, body } = await call<Track>(wave, 'POST', '/api/tracks', { path: song });
    expect(status).toBe(201);
    expect(body).toMatchObject({ title: 'Night Drive', artist: 'Wave Ensemble', album: 'Late Hours', genre: 'Synthwave', path: song });
    expect(body.duration).toBeCloseTo(2, 0);
    expect((await call<Answer>(wave, 'GET', '/api/tracks')).body.tracks!.map((t) => t.id)).toEqual([body.id]);
    expect(withoutSound((await call<Answer>(wave, 'GET', `/api/tracks/${body.id}`)).body)).toEqual(withoutSound(body));
    expect((await call<Answer>(wave, 'GET', '/api/tracks/no-such-track')).body.code).toBe('track_not_found');
    // The library file follows in the background.
    await vi.waitFor(async () => expect(await snapshotIds(wave.dataDir)).toEqual([body.id]), { timeout: 5_000 });
  });

  it('refuses paths that are not readable audio files, naming why, and stores nothing', async () => {
    const before = await allTracks(wave);
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
    expect(await allTracks(wave)).toEqual(before);
  });

  it('stores an uploaded audio file and refuses a non-audio or oversized upload, storing nothing', async () => {
    const before = await allTracks(wave);
    const text = await upload(wave, 'song.mp3', Buffer.from('not audio at all, whatever the name says'));
    expect(text).toMatchObject({ status: 415, body: { code: 'not_audio' } });
    const big = await upload(wave, 'big.mp3', Buffer.alloc(1024 * 1024 + 10, 1));
    expect(big).toMatchObject({ status: 413, body: { code: 'file_too_large' } });
    expect(await storedFiles()).toEqual([]);
    expect(await allTracks(wave)).toEqual(before);

    const good = await upload(wave, 'night drive.mp3', await readFile(song), { title: 'Uploaded' });
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ title: 'Uploaded', artist: 'Wave Ensemble', path: `${good.body.id}.mp3` });
    expect(await storedFiles()).toEqual([`${good.body.id}.mp3`]);

    // Deleting an uploaded track removes its file; nothing else is touched.
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${good.body.id}`)).status).toBe(204);
    expect(await storedFiles()).toEqual([]);
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${good.body.id}`)).status).toBe(404);

    // Without a title tag, an upload is titled from the name it was sent with (not Wave's stored name).
    const tagless = join(media, 'tagless.mp3');
    await makeTone(tagless, { seconds: 1 });
    const untitled = await upload(wave, 'Morning_Show intro.mp3', await readFile(tagless));
    expect(untitled).toMatchObject({ status: 201, body: { title: 'Morning Show intro', artist: '' } });
    expect((await call<Answer>(wave, 'DELETE', `/api/tracks/${untitled.body.id}`)).status).toBe(204);
  });

  it('pages with cursors, searches, filters and sorts; refuses a cursor that is not of this list', async () => {
    for (const [title, genre] of [
      ['Harbour Lights', 'Ambient'],
      ['Neon Rain', 'Synthwave'],
      ['Harbour Fog', 'Ambient'],
    ]) {
      const added = await call<Track>(wave, 'POST', '/api/tracks', { path: song, title });
      await call(wave, 'PATCH', `/api/tracks/${added.body.id}`, { genre, tags: ['night'] });
    }
    const all = await allTracks(wave);
    const first = (await call<Answer>(wave, 'GET', '/api/tracks?limit=2')).body;
    expect(first.tracks!.map((t) => t.id)).toEqual(all.slice(0, 2).map((t) => t.id));
    expect(first.total).toBe(all.length);
    const second = (await call<Answer>(wave, 'GET', `/api/tracks?limit=2&cursor=${first.nextCursor}`)).body;
    expect(second.tracks!.map((t) => t.id)).toEqual(all.slice(2, 4).map((t) => t.id));

    const search = (await call<Answer>(wave, 'GET', '/api/tracks?search=harbour&sort=title')).body;
    expect(search).toMatchObject({ total: 2, tracks: [{ title: 'Harbour Fog' }, { title: 'Harbour Lights' }] });
    expect((await call<Answer>(wave, 'GET', '/api/tracks?genre=ambient&tag=night')).body.total).toBe(2);
    expect((await call<Answer>(wave, 'GET', '/api/tracks?search=ambient%20lights')).body.total).toBe(1);

    for (const [query, field] of [
      ['cursor=not-a-cursor', 'cursor'],
      [`sort=title&cursor=${first.nextCursor}`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['sort=bogus', 'sort'],
      ['order=up', 'order'],
      ['bogus=1', 'bogus'],
    ]) {
      const res = await call<Answer>(wave, 'GET', `/api/tracks?${query}`);
      expect({ query, status: res.status, names: res.body.message!.some((m) => m.includes(field)) }).toEqual({
        query,
        status: 400,
        names: true,
      });
    }
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

  it('keeps every acknowledged track of 200 concurrent adds, across a restart, and the library file follows', async () => {
    const copies = join(media, 'copies');
    await mkdir(copies);
    const paths = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const path = join(copies, `copy-${i}.mp3`);
        await copyFile(song, path);
        return path;
      }),
    );
    const before = (await call<Answer>(wave, 'GET', '/api/tracks')).body.total!;
    const started = Date.now();
    const results = await Promise.all(paths.map((path, i) => call<Track>(wave, 'POST', '/api/tracks', { path, title: `Copy ${i}` })));
    const elapsed = Date.now() - started;
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.id);
    console.info(`[tracks] 200 concurrent adds: ${acknowledged.length} acknowledged in ${elapsed} ms`);
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);

    const listed = new Set((await allTracks(wave)).map((t) => t.id));
    expect(acknowledged.filter((id) => !listed.has(id))).toEqual([]);
    expect(listed.size).toBe(before + 200);
    await vi.waitFor(async () => expect((await snapshotIds(wave.dataDir)).length).toBe(before + 200), { timeout: 5_000 });

    // A restart on the same data: the database has them all; the file is not imported again.
    const dataDir = wave.dataDir;
    await wave.dispose();
    wave = await startWave({ dataDir, env });
    expect((await call<Answer>(wave, 'GET', '/api/tracks')).body.total).toBe(before + 200);
  });
});
