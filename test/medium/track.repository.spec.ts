import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database.js';
import { TrackRepository, type NewTrack } from '../../src/repositories/track.repository.js';
import { createDatabase, testEnv } from '../env/index.js';

// The library's queries on both databases Wave runs on: the same answers from SQLite and PostgreSQL.

function track(i: number, fields: Partial<NewTrack> = {}): NewTrack {
  return {
    id: `t${String(i).padStart(4, '0')}`,
    title: `Title ${i}`,
    artist: `Artist ${i % 7}`,
    album: `Album ${i % 5}`,
    genre: i % 2 ? 'Ambient' : 'Synthwave',
    tags: i % 3 ? [] : ['night'],
    path: `/music/${i}.mp3`,
    duration: 100 + i,
    addedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    fileSize: 1000 + i,
    fileMtimeMs: 1_700_000_000_000 + i,
    ...fields,
  };
}

const DATABASES: Array<[string, () => Promise<{ dataDir: string; databaseUrl?: string }>]> = [
  ['SQLite', async () => ({ dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-db-')) })],
  [
    'PostgreSQL',
    async () => ({
      dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-db-')),
      databaseUrl: await createDatabase(testEnv.postgresUrl(), 'tracks'),
    }),
  ],
];

describe.each(DATABASES)('TrackRepository on %s', (_name, open) => {
  let database: Database;
  let tracks: TrackRepository;
  let dataDir: string;
  let config: { dataDir: string; databaseUrl?: string };

  beforeAll(async () => {
    config = await open();
    dataDir = config.dataDir;
    database = await Database.open(config);
    tracks = new TrackRepository(database);
    await tracks.insert(Array.from({ length: 250 }, (_, i) => track(i)));
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('migrates once: opening the database again applies nothing and keeps the rows', async () => {
    const again = await Database.open(config);
    await again.onApplicationShutdown();
    expect(await tracks.count()).toBe(250);
  });

  it('pages every sort in both orders without a gap or a repeat', async () => {
    for (const sort of ['position', 'title', 'artist', 'album', 'addedAt', 'duration'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: { key: string | number; id: string } | undefined;
        for (;;) {
          const page = await tracks.page({ sort, order, limit: 40, after });
          seen.push(...page.tracks.map((t) => t.id));
          if (!page.last) break;
          after = page.last;
        }
        expect({ sort, order, count: seen.length, distinct: new Set(seen).size }).toEqual({ sort, order, count: 250, distinct: 250 });
      }
    }
    const byTitle = await tracks.page({ sort: 'title', order: 'asc', limit: 3 });
    expect(byTitle.tracks.map((t) => t.title)).toEqual(['Title 0', 'Title 1', 'Title 10']);
  });

  it('searches words across fields, filters, and treats % and _ as text', async () => {
    expect(await tracks.count({ search: 'title 12' })).toBe(13); // 12, 112, 120–129, 212
    // Each word in some field; one field per line, so a word never spans two fields.
    expect(await tracks.count({ search: 'AMBIENT album' })).toBe(125);
    expect(await tracks.count({ search: 'ambient synthwave' })).toBe(0);
    expect(await tracks.count({ search: 'ambient\nalbum' })).toBe(125);
    expect(await tracks.count({ genre: 'AMBIENT' })).toBe(125);
    expect(await tracks.count({ tag: 'night' })).toBe(84);
    expect(await tracks.count({ search: '%' })).toBe(0);
    expect(await tracks.count({ search: '_' })).toBe(0);
  });

  it('updates, removes, reorders and refuses a reorder that does not name every track once', async () => {
    expect(await tracks.update('t0001', { title: 'Renamed', tags: ['a', 'b'] })).toMatchObject({
      id: 't0001',
      title: 'Renamed',
      tags: ['a', 'b'],
    });
    expect(await tracks.count({ search: 'renamed' })).toBe(1);
    expect(await tracks.update('missing', { title: 'x' })).toBeNull();
    expect(await tracks.remove('t0002')).toMatchObject({ id: 't0002' });
    expect(await tracks.remove('t0002')).toBeNull();

    const ids = (await tracks.page({ sort: 'position', order: 'asc', limit: 1000 })).tracks.map((t) => t.id);
    expect(await tracks.reorder(ids.slice(1))).toMatchObject({ missing: [ids[0]] });
    expect(await tracks.reorder([...ids, 'nope'])).toMatchObject({ unknown: ['nope'] });
    expect(await tracks.reorder([...ids].reverse())).toBeNull();
    const reordered: string[] = [];
    for await (const batch of tracks.inPlayOrder(100)) reordered.push(...batch.map((t) => t.id));
    expect(reordered).toEqual([...ids].reverse());

    // New tracks go after the last, whatever the positions became.
    await tracks.insert([track(9000)]);
    expect((await tracks.page({ sort: 'position', order: 'desc', limit: 1 })).tracks[0].id).toBe('t9000');
  });

  it('knows the size and mtime each path had, and imports only once', async () => {
    const stamps = await tracks.fileStamps(['/music/10.mp3', '/music/none.mp3']);
    expect([...stamps]).toEqual([['/music/10.mp3', { fileSize: 1010, fileMtimeMs: 1_700_000_000_010 }]]);
    // Not empty: marked as imported, nothing stored.
    expect(await tracks.importOnce('medium_import', [track(5000)])).toBe(false);
    expect(await tracks.wasImported('medium_import')).toBe(true);
    expect(await tracks.get('t5000')).toBeNull();
  });
});
