import 'reflect-metadata';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database, SQLITE_FILE } from '../database/database.js';
import { migrationsFor } from '../database/migrations/index.js';
import { libraryTrack, type NewTrack, TrackRepository, type TrackPageQuery } from './track.repository.js';

const WORDS = ['night', 'Nightfall', 'midnight', 'ab', 'a"b', 'x%y', 'under_score', 'ΣΊΓΜΑ', 'ünïcode', '日本語', 'r&b', 'love', 'glove'];

/** A small library whose words overlap (common and rare ones, short ones, quotes, LIKE's wildcards, non-Latin). */
function library(count: number): NewTrack[] {
  let seed = 7;
  const pick = <T>(list: T[]) => list[(seed = (seed * 16807) % 2147483647) % list.length];
  return Array.from({ length: count }, (_, i) => ({
    id: `t${String(i).padStart(4, '0')}`,
    title: `${pick(WORDS)} ${pick(WORDS)}`,
    artist: pick(WORDS),
    album: i % 97 === 0 ? 'zephyrine' : pick(WORDS),
    genre: pick(['Jazz', 'Soul']),
    tags: [pick(['x', 'y'])],
    path: `/music/${i}.mp3`,
    duration: i % 5 === 0 ? i : i % 7 === 0 ? 0.1 + 0.2 : Math.round(i * 1234.5678) / 1000,
    addedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    fileSize: null,
    fileMtimeMs: null,
  }));
}

describe('TrackRepository (SQLite: search through the trigram index, totals, the snapshot JSON)', () => {
  let dataDir: string;
  let database: Database;
  let repository: TrackRepository;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-tracks-'));
    database = await Database.open({ dataDir });
    repository = new TrackRepository(database);
  });
  afterEach(async () => {
    await database.db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** What search promises: every word in the title, artist, album or genre, compared lower case. */
  async function expected(search: string): Promise<string[]> {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    const { rows } = await sql<{ id: string; search_text: string }>`select id, search_text from tracks order by position, id`.execute(
      database.db,
    );
    return rows.filter((row) => words.every((word) => row.search_text.includes(word))).map((row) => row.id);
  }

  async function walk(query: Omit<TrackPageQuery, 'after'>): Promise<string[]> {
    const ids: string[] = [];
    let after: TrackPageQuery['after'];
    do {
      const page = await repository.page({ ...query, after });
      ids.push(...page.tracks.map((t) => t.id));
      after = page.last ?? undefined;
    } while (after);
    return ids;
  }

  it('finds what LIKE finds, whichever way a page is read, after inserts, changes and removals', async () => {
    const tracks = library(1500);
    await repository.importOnce('seeded', tracks.slice(0, 1000));
    await repository.insert(tracks.slice(1000));
    for (let i = 0; i < tracks.length; i += 7) await repository.remove(tracks[i].id);
    for (let i = 3; i < tracks.length; i += 11) await repository.update(tracks[i].id, { title: `changed ${WORDS[i % WORDS.length]}` });

    for (const search of [
      'night',
      'NIGHT',
      'nigh',
      'ni',
      'ab',
      'a"b',
      'x%y',
      'under_score',
      'σίγμα',
      '日本',
      'zephyrine',
      'love glove',
      'night ab',
      'qqqq',
    ]) {
      const ids = await expected(search);
      expect(await repository.count({ search }), search).toBe(ids.length);
      // Small pages read the list in order, large ones look the matches up: the same tracks either way.
      for (const limit of [1, 10, 1000])
        expect(await walk({ search, sort: 'position', order: 'asc', limit }), `${search} ${limit}`).toEqual(ids);
      expect((await walk({ search, sort: 'title', order: 'desc', limit: 7 })).sort(), search).toEqual([...ids].sort());
    }
    const { rows } = await sql<{ n: number }>`select count(*) as n from tracks where search_rowid is null`.execute(database.db);
    expect(rows[0].n).toBe(0);
  });

  it('remembers a total only while the library stays as it was', async () => {
    await repository.importOnce('seeded', library(300));
    const before = await repository.count({ search: 'night' });
    const version = await repository.version();
    await repository.insert([{ ...library(1)[0], id: 'extra', title: 'night night' }]);
    expect(await repository.version()).toBeGreaterThan(version);
    expect(await repository.count({ search: 'night' })).toBe(before + 1);
    await repository.update('extra', { title: 'day' });
    expect(await repository.count({ search: 'night' })).toBe(before);
  });

  it("writes the snapshot's JSON as JSON.stringify writes each track, in play order", async () => {
    const tracks = library(1234);
    await repository.importOnce('seeded', tracks);
    await repository.reorder([...tracks].reverse().map((t) => t.id));
    await repository.update('t0003', { title: 'Änderung "quoted" \\ back\t\u0007 😀', tags: ['a', 'b'] });
    await repository.update('t0004', { album: 'x\u2028y', genre: '' });
    await repository.remove('t0005');
    await repository.insert([{ ...tracks[5], id: 'added', duration: 12.5 }]);
    // Measured tracks (whole, fractional, negative and zero numbers), failures, operator cues over detected ones.
    const stamp = (id: string) => ({
      id,
      path: `/music/${Number(id.slice(1))}.mp3`,
      duration: 1,
      position: 0,
      fileSize: null,
      fileMtimeMs: null,
    });
    await repository.recordAnalysis(
      stamp('t0010'),
      { loudness: { integratedLufs: -23, rangeLu: 0, truePeakDbtp: -0.0001 }, cueIn: 3, cueOut: 97.0004, thresholdDb: -50 },
      'x',
    );
    await repository.recordAnalysis(
      stamp('t0011'),
      { loudness: { integratedLufs: -14.126, rangeLu: 7.1, truePeakDbtp: 0.3 }, cueIn: null, cueOut: 0.1 + 0.2, thresholdDb: -50 },
      'x',
    );
    await repository.recordAnalysisFailure(stamp('t0012'), 'silent', -50, 'x');
    await repository.update('t0010', { cueIn: 1.23456 });
    await repository.update('t0013', { cueOut: 12 });
    expect((await repository.get('t0010'))?.cueIn).toBe(1.235);
    expect((await repository.get('t0011'))?.loudness).toEqual({ integratedLufs: -14.13, rangeLu: 7.1, truePeakDbtp: 0.3 });
    // Tracks sharing a place (no API makes them, a hand-edited database may): a tie across a batch's end.
    await sql`update tracks set position = 100 where position between 95 and 105`.execute(database.db);
    const inOrder = [];
    for await (const batch of repository.inPlayOrder(100)) inOrder.push(...batch);
    let json = '';
    let count = 0;
    for await (const batch of repository.inPlayOrderAsJson(',', 100)) {
      json += `${count === 0 ? '' : ','}${batch.json}`;
      count += batch.count;
    }
    expect(count).toBe(1234);
    expect(inOrder.find((t) => t.id === 't0003')?.tags).toEqual(['a', 'b']);
    expect(JSON.parse(`[${json}]`)).toEqual(inOrder);
    // Byte for byte (whole seconds without a `.0`, the shortest digits that read back the same number).
    expect(json === inOrder.map((track) => JSON.stringify(track)).join(',')).toBe(true);
  });

  it('rewrites the JSON of a library made before migration 0005 in its new shape', async () => {
    await database.db.destroy();
    await rm(dataDir, { recursive: true, force: true });
    dataDir = await mkdtemp(join(tmpdir(), 'wave-tracks-'));
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(join(dataDir, SQLITE_FILE)) }) });
    const migrations = migrationsFor('sqlite');
    const { error } = await new Migrator({ db: old, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateTo(
      '0004-programme',
    );
    expect(error).toBeUndefined();
    await sql`insert into tracks (id, position, title, artist, album, genre, tags, path, duration, added_at, search_text)
      values ('old', 1, 'Old', 'A', '', '', '[]', 'old.mp3', 12.5, '2026-01-01T00:00:00.000Z', 'old')`.execute(old);
    await old.destroy();

    database = await Database.open({ dataDir });
    repository = new TrackRepository(database);
    let json = '';
    for await (const batch of repository.inPlayOrderAsJson(',')) json += batch.json;
    const [track] = (await repository.page({ sort: 'position', order: 'asc', limit: 10 })).tracks;
    expect(json).toBe(JSON.stringify(libraryTrack(track)));
    expect(JSON.parse(json)).toMatchObject({ id: 'old', loudness: null, cueIn: null, cueOut: null });
  });
});
