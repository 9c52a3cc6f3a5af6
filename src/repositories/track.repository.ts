import { Injectable } from '@nestjs/common';
import { type Expression, type Kysely, type SelectQueryBuilder, sql, type SqlBool } from 'kysely';
import type { LibraryTrack } from '../contracts/track-library.js';
import { Database, databaseError } from '../database/database.js';
import type { TracksTable, WaveDatabase } from '../database/schema.js';

/** What the list sorts by; each has an index ending in id (migration 0001). */
export const TRACK_SORTS = ['position', 'title', 'artist', 'album', 'addedAt', 'duration'] as const;
export type TrackSort = (typeof TRACK_SORTS)[number];

/** A track to store; the repository gives it its place at the end of the play order. */
export interface NewTrack extends LibraryTrack {
  fileSize: number | null;
  fileMtimeMs: number | null;
}

export interface TrackFilter {
  /** Every word must appear in the title, artist, album or genre (case-insensitive). */
  search?: string;
  genre?: string;
  album?: string;
  artist?: string;
  tag?: string;
}

export interface TrackPageQuery extends TrackFilter {
  sort: TrackSort;
  order: 'asc' | 'desc';
  limit: number;
  /** The sort key and id of the last track of the previous page. */
  after?: { key: string | number; id: string };
}

export interface TrackPage {
  tracks: LibraryTrack[];
  /** The sort key and id of the last track, when more tracks follow. */
  last: { key: string | number; id: string } | null;
}

export type TrackChanges = Partial<Pick<LibraryTrack, 'title' | 'artist' | 'album' | 'genre' | 'tags'>>;

/** The size and modification time a stored track's file had when it was read. */
export interface FileStamp {
  fileSize: number | null;
  fileMtimeMs: number | null;
}

/**
 * What a folder scan found of a file the library has: its size and modification time now, and, when its content
 * changed, what ffprobe read from it now (without it, only the stamp is recorded).
 */
export interface FileRefresh {
  path: string;
  fileSize: number;
  fileMtimeMs: number;
  metadata?: Pick<LibraryTrack, 'title' | 'artist' | 'album' | 'genre' | 'duration'>;
}

/** The result of a reorder that did not name every track exactly once. */
export interface OrderMismatch {
  unknown: string[];
  missing: string[];
  duplicated: string[];
}

const SORT_KEYS: Record<TrackSort, ReturnType<typeof sql<string | number>>> = {
  position: sql<number>`position`,
  title: sql<string>`lower(title)`,
  artist: sql<string>`lower(artist)`,
  album: sql<string>`lower(album)`,
  addedAt: sql<string>`added_at`,
  duration: sql<number>`duration`,
};

/** Rows a reorder updates per statement; the event loop gets a turn between statements. */
const REORDER_CHUNK = 500;
/** Tracks a bulk insert writes per statement (bound parameters stay far under both databases' limits). */
const INSERT_CHUNK = 500;

/** The library's tracks in the database: the only code that queries the `tracks` table. */
@Injectable()
export class TrackRepository {
  private readonly db: Kysely<WaveDatabase>;

  constructor(database: Database) {
    this.db = database.db;
  }

  async page(query: TrackPageQuery): Promise<TrackPage> {
    const key = SORT_KEYS[query.sort];
    const descending = query.order === 'desc';
    try {
      let select = this.filtered(this.db.selectFrom('tracks'), query)
        .selectAll()
        .select(key.as('sort_key'))
        .orderBy(key, query.order)
        .orderBy('id', query.order)
        .limit(query.limit + 1);
      if (query.after) {
        const { key: afterKey, id } = query.after;
        select = select.where(
          descending ? sql<SqlBool>`(${key}, id) < (${afterKey}, ${id})` : sql<SqlBool>`(${key}, id) > (${afterKey}, ${id})`,
        );
      }
      const rows = await select.execute();
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const lastRow = shown.at(-1);
      return { tracks: shown.map(toTrack), last: more && lastRow ? { key: lastRow.sort_key, id: lastRow.id } : null };
    } catch (error) {
      throw databaseError(error);
    }
  }

  async count(filter: TrackFilter = {}): Promise<number> {
    try {
      const row = await this.filtered(this.db.selectFrom('tracks'), filter)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    } catch (error) {
      throw databaseError(error);
    }
  }

  async get(id: string): Promise<LibraryTrack | null> {
    try {
      const row = await this.db.selectFrom('tracks').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toTrack(row) : null;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Appends the tracks to the play order, in the given order, in one transaction. */
  async insert(tracks: NewTrack[]): Promise<void> {
    if (tracks.length === 0) return;
    try {
      await this.db.transaction().execute(async (trx) => {
        const { last } = await trx
          .selectFrom('tracks')
          .select((eb) => eb.fn.max('position').as('last'))
          .executeTakeFirstOrThrow();
        let position = Number(last ?? 0);
        for (let i = 0; i < tracks.length; i += INSERT_CHUNK) {
          const rows = tracks.slice(i, i + INSERT_CHUNK).map((track) => toRow(track, ++position));
          await trx.insertInto('tracks').values(rows).execute();
        }
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Whether importOnce(marker) has run (in this database, by any instance). */
  async wasImported(marker: string): Promise<boolean> {
    try {
      return (await this.db.selectFrom('wave_meta').select('key').where('key', '=', marker).executeTakeFirst()) !== undefined;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Stores `tracks` when the library has never been imported and is empty, in one transaction that also marks
   * the import done (`wave_meta`), so it happens once, even with several instances booting at once. True when it stored them.
   */
  async importOnce(marker: string, tracks: NewTrack[]): Promise<boolean> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const done = await trx.selectFrom('wave_meta').select('value').where('key', '=', marker).executeTakeFirst();
        if (done) return false;
        await trx.insertInto('wave_meta').values({ key: marker, value: new Date().toISOString() }).execute();
        const { n } = await trx
          .selectFrom('tracks')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        if (Number(n) > 0) return false;
        for (let i = 0; i < tracks.length; i += INSERT_CHUNK) {
          await trx
            .insertInto('tracks')
            .values(tracks.slice(i, i + INSERT_CHUNK).map((track, j) => toRow(track, i + j + 1)))
            .execute();
        }
        return true;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The changed track, or null when there is none with this id. */
  async update(id: string, changes: TrackChanges): Promise<LibraryTrack | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('tracks').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        const next = { ...toTrack(row), ...changes };
        await trx
          .updateTable('tracks')
          .set({
            title: next.title,
            artist: next.artist,
            album: next.album,
            genre: next.genre,
            tags: JSON.stringify(next.tags),
            search_text: searchText(next),
          })
          .where('id', '=', id)
          .execute();
        return next;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The removed track, or null when there was none with this id. */
  async remove(id: string): Promise<LibraryTrack | null> {
    try {
      const row = await this.db.deleteFrom('tracks').where('id', '=', id).returningAll().executeTakeFirst();
      return row ? toTrack(row) : null;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Gives the tracks positions 1…n in the order of `ids`, which must name every track exactly once; otherwise
   * nothing changes and the mismatch is returned.
   */
  async reorder(ids: string[]): Promise<OrderMismatch | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const stored = new Set((await trx.selectFrom('tracks').select('id').execute()).map((r) => r.id));
        // Sets and one pass each: with includes/indexOf, 100,000 ids held the event loop for seconds.
        const given = new Set<string>();
        const duplicated = new Set<string>();
        for (const id of ids) (given.has(id) ? duplicated : given).add(id);
        const unknown = [...given].filter((id) => !stored.has(id));
        const missing = [...stored].filter((id) => !given.has(id));
        if (unknown.length + missing.length + duplicated.size > 0) return { unknown, missing, duplicated: [...duplicated] };
        for (let i = 0; i < ids.length; i += REORDER_CHUNK) {
          const chunk = ids.slice(i, i + REORDER_CHUNK);
          const position = sql<number>`case id ${sql.join(
            chunk.map((id, j) => sql`when ${id} then ${sql.lit(i + j + 1)}`),
            sql` `,
          )} end`;
          await trx.updateTable('tracks').set({ position }).where('id', 'in', chunk).execute();
          await new Promise((resolve) => setImmediate(resolve));
        }
        return null;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The stored size and modification time of the tracks with these paths (a scan skips files it has unchanged). */
  async fileStamps(paths: string[]): Promise<Map<string, FileStamp>> {
    const stamps = new Map<string, FileStamp>();
    if (paths.length === 0) return stamps;
    try {
      for (let i = 0; i < paths.length; i += INSERT_CHUNK) {
        const rows = await this.db
          .selectFrom('tracks')
          .select(['path', 'file_size', 'file_mtime_ms'])
          .where('path', 'in', paths.slice(i, i + INSERT_CHUNK))
          .execute();
        for (const row of rows) stamps.set(row.path, { fileSize: row.file_size, fileMtimeMs: row.file_mtime_ms });
      }
      return stamps;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Records each file's stamp on the tracks stored under its path and, with `metadata`, replaces their title, artist,
   * album, genre and duration (id, labels, position and addedAt stay), in one transaction. The ids of the tracks
   * whose metadata was replaced.
   */
  async refreshFiles(files: FileRefresh[]): Promise<string[]> {
    if (files.length === 0) return [];
    try {
      return await this.db.transaction().execute(async (trx) => {
        const refreshed: string[] = [];
        for (const { path, fileSize, fileMtimeMs, metadata } of files) {
          const stamp = { file_size: fileSize, file_mtime_ms: fileMtimeMs };
          if (!metadata) {
            await trx.updateTable('tracks').set(stamp).where('path', '=', path).execute();
            continue;
          }
          const { title, artist, album, genre, duration } = metadata;
          const rows = await trx
            .updateTable('tracks')
            .set({ ...stamp, title, artist, album, genre, duration, search_text: searchText(metadata) })
            .where('path', '=', path)
            .returning('id')
            .execute();
          refreshed.push(...rows.map((row) => row.id));
        }
        return refreshed;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Every track in play order, a batch at a time (for the snapshot file), the event loop free between batches. */
  async *inPlayOrder(batchSize = 2_000): AsyncGenerator<LibraryTrack[]> {
    let after: TrackPageQuery['after'];
    for (;;) {
      const page = await this.page({ sort: 'position', order: 'asc', limit: batchSize, after });
      if (page.tracks.length > 0) yield page.tracks;
      if (!page.last) return;
      after = page.last;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private filtered<O>(
    query: SelectQueryBuilder<WaveDatabase, 'tracks', O>,
    filter: TrackFilter,
  ): SelectQueryBuilder<WaveDatabase, 'tracks', O> {
    const conditions: Expression<SqlBool>[] = [];
    for (const word of (filter.search ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      conditions.push(sql<SqlBool>`search_text like ${`%${escapeLike(word)}%`} escape '\\'`);
    }
    if (filter.genre !== undefined) conditions.push(sql<SqlBool>`lower(genre) = ${filter.genre.toLowerCase()}`);
    if (filter.album !== undefined) conditions.push(sql<SqlBool>`lower(album) = ${filter.album.toLowerCase()}`);
    if (filter.artist !== undefined) conditions.push(sql<SqlBool>`lower(artist) = ${filter.artist.toLowerCase()}`);
    if (filter.tag !== undefined) conditions.push(sql<SqlBool>`tags like ${`%${escapeLike(JSON.stringify(filter.tag))}%`} escape '\\'`);
    return conditions.length > 0 ? query.where((eb) => eb.and(conditions)) : query;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** What search matches: lower-case, one field per line, so a word never matches across two fields. */
function searchText(track: Pick<LibraryTrack, 'title' | 'artist' | 'album' | 'genre'>): string {
  return [track.title, track.artist, track.album, track.genre].join('\n').toLowerCase();
}

function toRow(track: NewTrack, position: number): TracksTable {
  return {
    id: track.id,
    position,
    title: track.title,
    artist: track.artist,
    album: track.album,
    genre: track.genre,
    tags: JSON.stringify(track.tags),
    path: track.path,
    duration: track.duration,
    added_at: track.addedAt,
    file_size: track.fileSize,
    file_mtime_ms: track.fileMtimeMs,
    search_text: searchText(track),
  };
}

function toTrack(row: TracksTable): LibraryTrack {
  return {
    id: row.id,
    title: row.title,
    artist: row.artist,
    album: row.album,
    genre: row.genre,
    tags: parseTags(row.tags),
    path: row.path,
    duration: Number(row.duration),
    addedAt: row.added_at,
  };
}

function parseTags(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
