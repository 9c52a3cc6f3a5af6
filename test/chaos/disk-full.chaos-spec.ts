import { execFile } from 'node:child_process';
import { readdir, readFile, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { makeTone } from '../env/media.js';

const run = promisify(execFile);
/** Wave's documents, its database and the filler share it. */
const TMPFS_SIZE = '2m';
/** Left free when the adds start: room for some dozens of adds (each commit appends a few 4 KiB pages to SQLite's WAL). */
const FREE_BYTES = 640 * 1024;
const MAX_ADDS = 1000;
const canMount = process.platform === 'linux' && process.getuid?.() === 0;

interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string[];
  requestId: string;
}

/**
 * DATA_DIR on a small tmpfs nearly full, tracks added one at a time until the disk refuses: every add
 * answered 201 is in the library, the library file (the background snapshot) parses whenever it is read, the
 * first refusal is 507 `insufficient_storage` in the one error shape, nothing is moved aside, and the library
 * survives a restart whole. (Before the database: a 201 for a 4096-byte fragment on disk, then a 500 and an empty library.)
 */
describe.skipIf(!canMount)('DATA_DIR on a nearly full disk (tmpfs, needs root on Linux)', () => {
  let media: string;
  let dataDir: string;
  let logDir: string;
  let mounted = false;
  let wave: WaveServer | undefined;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    media = await makeTempDir('chaos-disk-media');
    dataDir = await makeTempDir('chaos-disk-data');
    logDir = await makeTempDir('chaos-disk-logs');
    await makeTone(join(media, 'song.mp3'), { seconds: 1 });
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', dataDir]);
    mounted = true;
  });

  afterAll(async () => {
    await wave?.dispose();
    if (mounted) await run('umount', [dataDir]);
    for (const dir of [media, dataDir, logDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function libraryOnDisk(when: string): Promise<{ tracks: Array<{ id: string }> }> {
    const text = await readFile(join(dataDir, 'audio-tracks.json'), 'utf8');
    try {
      return JSON.parse(text) as { tracks: Array<{ id: string }> };
    } catch (error) {
      throw new Error(`audio-tracks.json does not parse ${when} (${text.length} bytes): ${(error as Error).message}`);
    }
  }

  async function freeBytes(): Promise<number> {
    const fs = await statfs(dataDir);
    return fs.bavail * fs.bsize;
  }

  it('acknowledges only what is on disk, refuses with 507 when full, and keeps the library', async () => {
    wave = await startWave({ dataDir, logDir, keepDirs: true });
    // Wave's own documents are written at boot; the filler takes all but FREE_BYTES of what is left.
    await writeFile(join(dataDir, 'filler.bin'), Buffer.alloc((await freeBytes()) - FREE_BYTES));
    console.log(`free before the adds: ${await freeBytes()} bytes of ${TMPFS_SIZE}`);

    let refusal: { status: number; body: ErrorBody } | undefined;
    for (let i = 0; i < MAX_ADDS && !refusal; i++) {
      const res = await call<{ id: string } & ErrorBody>(wave, 'POST', '/api/tracks', {
        path: join(media, 'song.mp3'),
        title: `full #${i}`,
      });
      if (res.status === 201) acknowledged.push(res.body.id);
      else refusal = res;
      // After every answer, acknowledged or not, the library holds every acknowledged add, and the file still parses.
      const { body: listed } = await call<{ tracks: Array<{ id: string }> }>(wave, 'GET', '/api/tracks?limit=1000');
      const stored = new Set(listed.tracks.map((t) => t.id));
      expect(
        acknowledged.filter((id) => !stored.has(id)),
        `after add #${i} (${res.status})`,
      ).toEqual([]);
      await libraryOnDisk(`after add #${i} (${res.status})`);
    }
    console.log(
      `${acknowledged.length} adds acknowledged before the first refusal; database files: ${(await readdir(dataDir)).join(', ')}`,
    );
    expect(acknowledged.length).toBeGreaterThan(5);
    expect(refusal).toBeDefined();
    expect(refusal!.status, JSON.stringify(refusal!.body)).toBe(507);
    expect(refusal!.body).toEqual({
      statusCode: 507,
      error: 'Insufficient Storage',
      code: 'insufficient_storage',
      message: ['The database could not be written: the disk is full (SQLITE_FULL)'],
      requestId: expect.any(String),
    });

    // Still full: the next add is refused the same way, and the library is not reset.
    const again = await call<ErrorBody>(wave, 'POST', '/api/tracks', { path: join(media, 'song.mp3'), title: 'still full' });
    expect([again.status, again.body.code]).toEqual([507, 'insufficient_storage']);
    const { body: listed } = await call<{ tracks: Array<{ id: string }> }>(wave, 'GET', '/api/tracks?limit=1000');
    expect(listed.tracks.map((t) => t.id)).toEqual(acknowledged);
    // Nothing moved aside, no temp file left (SQLite's -wal and -shm are there while it runs). The background snapshot
    // of audio-tracks.json may be mid-attempt (its temp file exists until the full disk refuses it and it is removed),
    // so a leftover is one still there after a few seconds.
    const files = [
      'audio-tracks.json',
      'filler.bin',
      'rtmp-ingest.key',
      'stream-destinations.json',
      'streaming-config.json',
      'telegram-config.json',
      'telegram-live-override.json',
      'wave-leader.lock',
      'wave.db',
    ];
    const withoutWal = async () => (await readdir(dataDir)).filter((f) => f !== 'wave.db-wal' && f !== 'wave.db-shm').sort();
    await vi.waitFor(async () => expect(await withoutWal()).toEqual(files), { timeout: 5000, interval: 100 });

    // A restart on the still full disk finds the whole library.
    await wave.stop();
    wave = await startWave({ dataDir, logDir, keepDirs: true });
    const { body: restarted } = await call<{ tracks: Array<{ id: string }> }>(wave, 'GET', '/api/tracks?limit=1000');
    expect(restarted.tracks.map((t) => t.id)).toEqual(acknowledged);
    expect(await withoutWal()).toEqual(files);

    // Room again: adds work again, on the same library.
    await unlink(join(dataDir, 'filler.bin'));
    const after = await call<{ id: string }>(wave, 'POST', '/api/tracks', { path: join(media, 'song.mp3'), title: 'room again' });
    expect(after.status).toBe(201);
    // With room, the library file catches up in the background.
    await vi.waitFor(
      async () => expect((await libraryOnDisk('after room was made')).tracks.map((t) => t.id)).toEqual([...acknowledged, after.body.id]),
      { timeout: 5_000 },
    );
    await wave.stop();
  });
});
