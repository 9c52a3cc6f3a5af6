import 'reflect-metadata';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { LibrarySnapshotService } from './library-snapshot.service.js';

const SEED_TRACK = {
  id: 'seed-1',
  title: 'Seed',
  artist: 'Old Wave',
  path: 'seed.mp3',
  duration: 12.5,
  addedAt: '2026-01-01T00:00:00.000Z',
};

async function snapshot(dataDir: string): Promise<{ tracks: Array<{ id: string; album?: string }> }> {
  return JSON.parse(await readFile(join(dataDir, 'audio-tracks.json'), 'utf8')) as { tracks: Array<{ id: string; album?: string }> };
}

describe('LibrarySnapshotService (audio-tracks.json beside the database)', () => {
  let ctx: TestService<LibrarySnapshotService> | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await ctx?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    ctx = dataDir = undefined;
  });

  it('imports a seed-shaped file into an empty database once, and keeps the file current', async () => {
    // The seed's file is in DATA_DIR before the first boot.
    dataDir = await mkdtemp(join(tmpdir(), 'wave-snapshot-'));
    await writeFile(join(dataDir, 'audio-tracks.json'), JSON.stringify({ tracks: [SEED_TRACK] }));
    ctx = await newTestService(LibrarySnapshotService, { dataDir });
    const repository = ctx.get(TrackRepository);
    expect((await repository.page({ sort: 'position', order: 'asc', limit: 10 })).tracks).toEqual([
      { ...SEED_TRACK, album: '', genre: '', tags: [] },
    ]);
    // Rewritten at boot in the new shape.
    expect((await snapshot(ctx.dataDir)).tracks).toEqual([{ ...SEED_TRACK, album: '', genre: '', tags: [] }]);

    // Emptied and restarted: the file is not imported again (the database was imported once).
    await repository.remove('seed-1');
    await writeFile(join(ctx.dataDir, 'audio-tracks.json'), JSON.stringify({ tracks: [SEED_TRACK] }));
    await ctx.close();
    ctx = await newTestService(LibrarySnapshotService, { dataDir });
    expect(await ctx.get(TrackRepository).count()).toBe(0);
    expect((await snapshot(ctx.dataDir)).tracks).toEqual([]);
  });

  it('writes one snapshot per burst of changes, then raises tracks.snapshot', async () => {
    ctx = await newTestService(LibrarySnapshotService);
    const repository = ctx.get(TrackRepository);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (let i = 0; i < 5; i++) {
      await repository.insert([{ ...SEED_TRACK, id: `t${i}`, album: 'A', genre: '', tags: [], fileSize: null, fileMtimeMs: null }]);
      ctx.sut.libraryChanged();
    }
    expect((await snapshot(ctx.dataDir)).tracks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    vi.useRealTimers();
    await vi.waitFor(() => expect(ctx!.events.filter(([name]) => name === 'tracks.snapshot')).toHaveLength(1));
    expect((await snapshot(ctx.dataDir)).tracks.map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect((await readdir(ctx.dataDir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('leaves a snapshot of the current library alone at boot, and rewrites one the database has moved past', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-snapshot-'));
    ctx = await newTestService(LibrarySnapshotService, { dataDir });
    const track = { ...SEED_TRACK, album: '', genre: '', tags: [], fileSize: null, fileMtimeMs: null };
    await ctx.get(TrackRepository).insert([track, { ...track, id: 'seed-2' }]);
    await ctx.sut.write();
    const written = await stat(join(dataDir, 'audio-tracks.json'));
    expect(await readFile(join(dataDir, 'audio-tracks.json'), 'utf8')).toMatch(/^\{\n {2}"libraryVersion": \d+,\n {2}"tracks": \[/);
    await ctx.close();

    ctx = await newTestService(LibrarySnapshotService, { dataDir });
    expect((await stat(join(dataDir, 'audio-tracks.json'))).ino).toBe(written.ino);
    // A change whose snapshot never reached the file (Wave killed before it, or another instance's change).
    await ctx.get(TrackRepository).remove('seed-1');
    await ctx.close();

    ctx = await newTestService(LibrarySnapshotService, { dataDir });
    expect((await snapshot(dataDir)).tracks.map((t) => t.id)).toEqual(['seed-2']);
  });
});
