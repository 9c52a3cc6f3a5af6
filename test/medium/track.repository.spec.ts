import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database.js';
import type { LibraryTrack } from '../../src/contracts/track-library.js';
import { TrackRepository, type NewTrack, type TrackToAnalyse } from '../../src/repositories/track.repository.js';
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

/** Each database's snapshot JSON of the same library, compared at the end. */
const snapshots = new Map<string, string>();

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

  it('records analyses idempotently, lists and counts what is to be measured, and forgets it when the file changes', async () => {
    const stampOf = async (id: string): Promise<TrackToAnalyse> => {
      const [found] = (await tracks.needingAnalysis(-50, 1000)).filter((t) => t.id === id);
      return found;
    };
    const before = await tracks.analysisCounts(-50);
    expect(before.pending).toBe(before.total);
    const t20 = await stampOf('t0020');
    expect(t20).toMatchObject({ id: 't0020', path: '/music/20.mp3', fileSize: 1020, fileMtimeMs: 1_700_000_000_020 });
    const result = {
      loudness: { integratedLufs: -14.23456, rangeLu: 6, truePeakDbtp: -0.4 },
      cueIn: 1.23456,
      cueOut: 100,
      thresholdDb: -50,
    };
    // Two instances measuring the same track write the same row.
    expect(await tracks.recordAnalysis(t20, result, '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(await tracks.recordAnalysis(t20, result, '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(await tracks.recordAnalysisFailure(await stampOf('t0021'), 'silent', -50, '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(await tracks.get('t0020')).toMatchObject({
      loudness: { integratedLufs: -14.23, rangeLu: 6, truePeakDbtp: -0.4 },
      cueIn: 1.235,
      cueOut: 100,
    });
    expect(await tracks.analysisCounts(-50)).toEqual({ total: before.total, analysed: 1, failed: 1, pending: before.total - 2 });
    // Another threshold: both are to be measured again.
    expect(await tracks.analysisCounts(-40)).toMatchObject({ analysed: 0, failed: 0 });
    expect((await tracks.needingAnalysis(-40, 1000)).map((t) => t.id)).toEqual(expect.arrayContaining(['t0020', 't0021']));
    // In play order, in batches after a track.
    const first = await tracks.needingAnalysis(-50, 3);
    const next = await tracks.needingAnalysis(-50, 3, first[2]);
    expect(next[0].position).toBeGreaterThan(first[2].position);

    // The operator's cue wins; null gives the detected one back.
    expect((await tracks.update('t0020', { cueOut: 50 }))?.cueOut).toBe(50);
    expect((await tracks.update('t0020', { cueOut: null }))?.cueOut).toBe(100);
    await tracks.update('t0020', { cueIn: 10 });

    // A result for a file that changed since it was listed is not stored; a refresh of new content forgets the analysis.
    expect(await tracks.recordAnalysis({ ...t20, fileSize: 1 }, result, 'x')).toBe(false);
    await tracks.refreshFiles([
      { path: '/music/20.mp3', fileSize: 7, fileMtimeMs: 8, metadata: { title: 'New', artist: '', album: '', genre: '', duration: 5 } },
    ]);
    expect(await tracks.get('t0020')).toMatchObject({
      loudness: null,
      cueIn: null,
      cueOut: null,
      sound: { analysedAt: null, cueInOperator: null },
    });
    expect(await stampOf('t0020')).toMatchObject({ fileSize: 7, fileMtimeMs: 8 });
  });

  it("writes the snapshot's JSON byte for byte as JSON.stringify of the LibraryTrack, measured or not", async () => {
    const ids = ['a', 'b', 'c', 'd'].map((id) => `snap-${id}`);
    await tracks.insert(ids.map((id, i) => ({ ...track(7000 + i), id, duration: [215.4, 180, 0.1 + 0.2, 12.5][i] })));
    const stamp = async (id: string) => (await tracks.needingAnalysis(-50, 10_000)).find((t) => t.id === id)!;
    await tracks.recordAnalysis(
      await stamp('snap-a'),
      { loudness: { integratedLufs: -23, rangeLu: 0, truePeakDbtp: -0.004 }, cueIn: 3, cueOut: 212.4004, thresholdDb: -50 },
      'x',
    );
    await tracks.recordAnalysis(
      await stamp('snap-b'),
      { loudness: { integratedLufs: -8.1, rangeLu: 12.345, truePeakDbtp: 1.5 }, cueIn: null, cueOut: null, thresholdDb: -50 },
      'x',
    );
    await tracks.recordAnalysisFailure(await stamp('snap-c'), 'unreadable', -50, 'x');
    await tracks.update('snap-b', { cueIn: 0.1 + 0.2 });
    await tracks.update('snap-d', { cueOut: 12 });
    let json = '';
    for await (const batch of tracks.inPlayOrderAsJson(',', 100)) json += (json ? ',' : '') + batch.json;
    const inOrder = [];
    for await (const batch of tracks.inPlayOrder(100)) inOrder.push(...batch);
    expect(json === inOrder.map((t) => JSON.stringify(t)).join(',')).toBe(true);
    const snapshot = JSON.parse(`[${json}]`) as LibraryTrack[];
    expect(snapshot.filter((t) => ids.includes(t.id)).map(({ id, loudness, cueIn, cueOut }) => ({ id, loudness, cueIn, cueOut }))).toEqual([
      { id: 'snap-a', loudness: { integratedLufs: -23, rangeLu: 0, truePeakDbtp: 0 }, cueIn: 3, cueOut: 212.4 },
      { id: 'snap-b', loudness: { integratedLufs: -8.1, rangeLu: 12.35, truePeakDbtp: 1.5 }, cueIn: 0.3, cueOut: null },
      { id: 'snap-c', loudness: null, cueIn: null, cueOut: null },
      { id: 'snap-d', loudness: null, cueIn: null, cueOut: 12 },
    ]);
    snapshots.set(_name, json);
  });
});

describe('the snapshot JSON of both databases', () => {
  it('is the same text from SQLite (its triggers) and PostgreSQL (JSON.stringify)', () => {
    expect(snapshots.size).toBe(2);
    const [sqlite, postgres] = [snapshots.get('SQLite'), snapshots.get('PostgreSQL')];
    expect(sqlite === postgres).toBe(true);
  });
});

describe('TrackRepository.importOnce on PostgreSQL, two instances booting at once', () => {
  it('imports once: one instance stores the tracks, the other sees the marker and stores nothing (no duplicate key)', async () => {
    const url = await createDatabase(testEnv.postgresUrl(), 'tracks_import_race');
    const dataDir = await mkdtemp(join(tmpdir(), 'wave-medium-db-'));
    const databases = await Promise.all([1, 2].map(() => Database.open({ dataDir, databaseUrl: url })));
    try {
      const [a, b] = databases.map((database) => new TrackRepository(database));
      const library = Array.from({ length: 50 }, (_, i) => track(i));
      const outcomes = await Promise.all([a.importOnce('race', library), b.importOnce('race', library)]);
      expect(outcomes.sort()).toEqual([false, true]);
      expect(await a.count()).toBe(50);
    } finally {
      for (const database of databases) await database.onApplicationShutdown();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
