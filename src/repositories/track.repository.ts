import { Injectable } from '@nestjs/common';
import { type Expression, type Kysely, type QueryResult, type RawBuilder, type SelectQueryBuilder, sql, type SqlBool } from 'kysely';
import type { LibraryTrack, TrackLoudness } from '../contracts/track-library.js';
import { Database, databaseError } from '../database/database.js';
import { TRACK_JSON_SQLITE_0005 as TRACK_JSON_SQLITE } from '../database/migrations/0005-sound.js';
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
  tracks: StoredTrack[];
  /** The sort key and id of the last track, when more tracks follow. */
  last: { key: string | number; id: string } | null;
}

export type TrackChanges = Partial<Pick<LibraryTrack, 'title' | 'artist' | 'album' | 'genre' | 'tags'>> & {
  /** The operator's cues (seconds; null: back to the detected one). */
  cueIn?: number | null;
  cueOut?: number | null;
};

/** Where a track's effective cue comes from: the operator's own, the analysis' silence detection, or none (the file's end). */
export type CueSource = 'operator' | 'detected' | null;

/** A track's analysis as stored: what the library view shows beside the LibraryTrack. */
export interface TrackSoundState {
  /** When the analysis last ran; null: not yet (or the file changed since). */
  analysedAt: string | null;
  /** The failure's code when it failed (e.g. `silent`, `unreadable`, `timeout`). */
  error: string | null;
  /** The silence threshold (dBFS) the cue detection used. */
  thresholdDb: number | null;
  cueInDetected: number | null;
  cueOutDetected: number | null;
  cueInOperator: number | null;
  cueOutOperator: number | null;
}

/** A track with its analysis' state (without `sound`: the LibraryTrack, as the snapshot writes it). */
export interface StoredTrack extends LibraryTrack {
  sound: TrackSoundState;
}

/** What the analysis job needs of a track, and the file stamp its result is recorded against. */
export interface TrackToAnalyse {
  id: string;
  path: string;
  duration: number;
  position: number;
  fileSize: number | null;
  fileMtimeMs: number | null;
}

/** One analysis' result (numbers are rounded when stored: loudness to 0.01, seconds to 0.001). */
export interface AnalysisResult {
  loudness: TrackLoudness;
  cueIn: number | null;
  cueOut: number | null;
  thresholdDb: number;
}

/** The library's analysis at one threshold: `analysed` measured at it, `failed` whose last analysis failed, `pending` the rest. */
export interface AnalysisCounts {
  total: number;
  analysed: number;
  failed: number;
  pending: number;
}

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

/** The columns a LibraryTrack and its analysis' state are made of (the rest — search text, file stamps, the snapshot's JSON — stay in the database). */
const TRACK_COLUMNS = [
  'id',
  'title',
  'artist',
  'album',
  'genre',
  'tags',
  'path',
  'duration',
  'added_at',
  'loudness_integrated_lufs',
  'loudness_range_lu',
  'loudness_true_peak_dbtp',
  'analysed_at',
  'analysis_error',
  'cue_in_detected',
  'cue_out_detected',
  'cue_threshold_db',
  'cue_in_operator',
  'cue_out_operator',
] as const;
type TrackRow = Pick<TracksTable, (typeof TRACK_COLUMNS)[number]>;

/** Rows a reorder updates per statement; the event loop gets a turn between statements. */
const REORDER_CHUNK = 500;
/** Tracks a bulk insert writes per statement (bound parameters stay far under both databases' limits). */
const INSERT_CHUNK = 500;

/**
 * The library's tracks in the database: the only code that queries the `tracks` table (and, on SQLite, its search
 * index `tracks_search`, which triggers keep).
 *
 * Search at scale (SQLite): a word of three characters or more is looked up in the trigram index, so a rare word
 * costs what its matches cost, not the library's size; a common word is found faster by reading the list in its
 * order until the page is full (its matches are dense), so a page asks the index how many tracks match first and
 * picks the cheaper way. Totals of a filter are remembered until the library changes (`library_state.version`).
 */
@Injectable()
export class TrackRepository {
  private readonly db: Kysely<WaveDatabase>;
  /** SQLite has the trigram index of migration 0003; PostgreSQL searches with LIKE (pg_trgm's index where it could be made). */
  private readonly fullText: boolean;
  private readonly dialect: Database['dialect'];
  /** Counts of filters (and of index matches) at `countsVersion` of the library. */
  private readonly counts = new Map<string, Promise<number>>();
  private countsVersion = -1;

  constructor(database: Database) {
    this.db = database.db;
    this.dialect = database.dialect;
    this.fullText = database.dialect === 'sqlite';
  }

  async page(query: TrackPageQuery): Promise<TrackPage> {
    const key = SORT_KEYS[query.sort];
    const descending = query.order === 'desc';
    try {
      const search = await this.searchOf(query);
      // The index's matches, fetched and sorted, against reading the list in order until `limit` matches turned up
      // (about limit × total / matches rows): the first when the matches are few.
      const lookUp = search.matches !== undefined && search.matches ** 2 <= ((query.limit + 1) * (await this.count())) / 4;
      let select = this.filtered(this.db.selectFrom('tracks'), query, search, lookUp)
        .select(TRACK_COLUMNS)
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
      return { tracks: shown.map(toStored), last: more && lastRow ? { key: lastRow.sort_key, id: lastRow.id } : null };
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** How many tracks match the filter (all of them without one). */
  async count(filter: TrackFilter = {}): Promise<number> {
    try {
      const others = [filter.genre, filter.album, filter.artist, filter.tag].some((value) => value !== undefined);
      const search = await this.searchOf(filter);
      if (!others && search.words.length === 0) return await this.countWhere(filter, search, false);
      return await this.remembered(
        `count:${JSON.stringify([search.words, filter.genre, filter.album, filter.artist, filter.tag])}`,
        async () => {
          // Every word in the index and nothing else asked: the index's count is the answer.
          if (search.matches !== undefined && !others && search.short.length === 0) return search.matches;
          // Counting the index's matches against reading every row: the first when they are fewer than a quarter.
          const lookUp = search.matches !== undefined && search.matches * 4 <= (await this.count());
          return this.countWhere(filter, search, lookUp);
        },
      );
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * The library's version: raised by every change to `tracks` (by any code or instance), so a value derived from the
   * library at version v is current while the version is v.
   */
  async version(): Promise<number> {
    try {
      const row = await this.db.selectFrom('library_state').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
      return Number(row.version);
    } catch (error) {
      throw databaseError(error);
    }
  }

  private async countWhere(filter: TrackFilter, search: Search, lookUp: boolean): Promise<number> {
    const row = await this.filtered(this.db.selectFrom('tracks'), filter, search, lookUp)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** `compute()`, or what it gave at this version of the library. */
  private async remembered(key: string, compute: () => Promise<number>): Promise<number> {
    const version = await this.version();
    if (version !== this.countsVersion) {
      this.counts.clear();
      this.countsVersion = version;
    }
    // A page and its total ask at once: they share one computation.
    const known = this.counts.get(key);
    if (known) return known;
    // Computed after the version was read: a change in between gives a newer version, under which this is not looked up.
    const pending = compute();
    if (this.countsVersion === version) {
      if (this.counts.size >= REMEMBERED_COUNTS) this.counts.delete(this.counts.keys().next().value!);
      this.counts.set(key, pending);
      pending.catch(() => this.counts.get(key) === pending && this.counts.delete(key));
    }
    return pending;
  }

  /** The filter's search words; on SQLite, those the index can look up and how many tracks have them all. */
  private async searchOf(filter: TrackFilter): Promise<Search> {
    const words = [...new Set((filter.search ?? '').toLowerCase().split(/\s+/).filter(Boolean))];
    if (!this.fullText) return { words, short: words };
    // The trigram index finds strings of three characters (code points) or more.
    const indexed = words.filter((word) => [...word].length >= 3);
    const short = words.filter((word) => [...word].length < 3);
    if (indexed.length === 0) return { words, short };
    // An FTS5 string per word ("" escapes a quote); words side by side must all match.
    const match = indexed.map((word) => `"${word.replace(/"/g, '""')}"`).join(' ');
    const matches = await this.remembered(`match:${match}`, async () => {
      const { rows } = await sql<{ n: number }>`select count(*) as n from tracks_search where tracks_search match ${match}`.execute(
        this.db,
      );
      return Number(rows[0].n);
    });
    return { words, short, match, matches };
  }

  async get(id: string): Promise<StoredTrack | null> {
    try {
      const row = await this.db.selectFrom('tracks').select(TRACK_COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? toStored(row) : null;
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
        // Claimed by inserting the marker: a select first let two instances booting together on PostgreSQL both see
        // none, and the second's insert failed its boot (duplicate key). The second now waits for the first's commit
        // on the key and inserts nothing.
        const claimed = await trx
          .insertInto('wave_meta')
          .values({ key: marker, value: new Date().toISOString() })
          .onConflict((conflict) => conflict.column('key').doNothing())
          .executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) return false;
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
  async update(id: string, changes: TrackChanges): Promise<StoredTrack | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('tracks').select(TRACK_COLUMNS).where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        const { cueIn, cueOut, ...fields } = changes;
        const next: TrackRow = {
          ...row,
          ...fields,
          tags: JSON.stringify(fields.tags ?? parseTags(row.tags)),
          ...(cueIn !== undefined && { cue_in_operator: roundTo(cueIn, 1000) }),
          ...(cueOut !== undefined && { cue_out_operator: roundTo(cueOut, 1000) }),
        };
        await trx
          .updateTable('tracks')
          .set({
            title: next.title,
            artist: next.artist,
            album: next.album,
            genre: next.genre,
            tags: next.tags,
            search_text: searchText(next),
            cue_in_operator: next.cue_in_operator,
            cue_out_operator: next.cue_out_operator,
          })
          .where('id', '=', id)
          .execute();
        return toStored(next);
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The removed track, or null when there was none with this id. */
  async remove(id: string): Promise<LibraryTrack | null> {
    try {
      const row = await this.db.deleteFrom('tracks').where('id', '=', id).returningAll().executeTakeFirst();
      return row ? libraryTrack(toStored(row)) : null;
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
          // New content: measured again (the old loudness and silences are not this file's); the operator's cues
          // stay where the new file still reaches them.
          const rows = await trx
            .updateTable('tracks')
            .set({
              ...stamp,
              title,
              artist,
              album,
              genre,
              duration,
              search_text: searchText(metadata),
              ...NOT_ANALYSED,
              cue_in_operator: sql<number | null>`case when cue_in_operator < ${duration} then cue_in_operator end`,
              cue_out_operator: sql<number | null>`case when cue_out_operator <= ${duration} then cue_out_operator end`,
            })
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

  /**
   * Tracks the analysis has still to measure at `thresholdDb` (never analysed, their file changed since, or their cues
   * detected at another threshold), in play order after `after` (a track's position and id), `limit` of them.
   */
  async needingAnalysis(
    thresholdDb: number,
    limit: number,
    after: Pick<TrackToAnalyse, 'position' | 'id'> | null = null,
  ): Promise<TrackToAnalyse[]> {
    try {
      let query = this.db
        .selectFrom('tracks')
        .select(['id', 'path', 'duration', 'position', 'file_size', 'file_mtime_ms'])
        .where((eb) =>
          eb.or([eb('analysed_at', 'is', null), eb('cue_threshold_db', 'is', null), eb('cue_threshold_db', '<>', thresholdDb)]),
        );
      if (after !== null) query = query.where(sql<SqlBool>`(position, id) > (${after.position}, ${after.id})`);
      const rows = await query.orderBy('position').orderBy('id').limit(limit).execute();
      return rows.map((row) => ({
        id: row.id,
        path: row.path,
        duration: Number(row.duration),
        position: Number(row.position),
        fileSize: row.file_size === null ? null : Number(row.file_size),
        fileMtimeMs: row.file_mtime_ms === null ? null : Number(row.file_mtime_ms),
      }));
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** How much of the library is measured at `thresholdDb`. */
  async analysisCounts(thresholdDb: number): Promise<AnalysisCounts> {
    try {
      const current = sql<SqlBool>`analysed_at is not null and cue_threshold_db = ${thresholdDb}`;
      const row = await this.db
        .selectFrom('tracks')
        .select((eb) => [
          eb.fn.countAll().as('total'),
          sql<number>`coalesce(sum(case when ${current} and analysis_error is null then 1 else 0 end), 0)`.as('analysed'),
          sql<number>`coalesce(sum(case when ${current} and analysis_error is not null then 1 else 0 end), 0)`.as('failed'),
        ])
        .executeTakeFirstOrThrow();
      const [total, analysed, failed] = [row.total, row.analysed, row.failed].map(Number);
      return { total, analysed, failed, pending: total - analysed - failed };
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Stores an analysis' result on the track, if its file is still the one measured (same path and stamp): true when it
   * was stored. The same result written twice (two instances measuring one track) leaves the same row.
   */
  async recordAnalysis(track: TrackToAnalyse, result: AnalysisResult, at: string): Promise<boolean> {
    return this.recordAnalysisRow(track, {
      loudness_integrated_lufs: roundTo(result.loudness.integratedLufs, 100),
      loudness_range_lu: roundTo(result.loudness.rangeLu, 100),
      loudness_true_peak_dbtp: roundTo(result.loudness.truePeakDbtp, 100),
      analysed_at: at,
      analysis_error: null,
      cue_in_detected: roundTo(result.cueIn, 1000),
      cue_out_detected: roundTo(result.cueOut, 1000),
      cue_threshold_db: result.thresholdDb,
    });
  }

  /** Records that the analysis of this file failed (`code`): it is not measured again until its file or the threshold changes. */
  async recordAnalysisFailure(track: TrackToAnalyse, code: string, thresholdDb: number, at: string): Promise<boolean> {
    return this.recordAnalysisRow(track, { ...NOT_ANALYSED, analysed_at: at, analysis_error: code, cue_threshold_db: thresholdDb });
  }

  private async recordAnalysisRow(track: TrackToAnalyse, values: Partial<TracksTable>): Promise<boolean> {
    try {
      const result = await this.db
        .updateTable('tracks')
        .set(values)
        .where('id', '=', track.id)
        .where('path', '=', track.path)
        .where((eb) =>
          eb.and([
            track.fileSize === null ? eb('file_size', 'is', null) : eb('file_size', '=', track.fileSize),
            track.fileMtimeMs === null ? eb('file_mtime_ms', 'is', null) : eb('file_mtime_ms', '=', track.fileMtimeMs),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Every track in play order, a batch at a time, the event loop free between batches. */
  async *inPlayOrder(batchSize = 2_000): AsyncGenerator<LibraryTrack[]> {
    let after: TrackPageQuery['after'];
    for (;;) {
      const page = await this.page({ sort: 'position', order: 'asc', limit: batchSize, after });
      if (page.tracks.length > 0) yield page.tracks.map(libraryTrack);
      if (!page.last) return;
      after = page.last;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Every track in play order as JSON text (each track's JSON.stringify'd LibraryTrack, `separator` between them), a
   * batch at a time with the event loop free between batches: the `audio-tracks.json` snapshot. On SQLite each track's
   * JSON is kept on its row by triggers (migration 0003) and a batch comes as one string: a sixth of the cost of rows
   * made into objects and stringified, which PostgreSQL still does.
   */
  async *inPlayOrderAsJson(
    separator: string,
    batchSize = SNAPSHOT_BATCH,
    range: SnapshotRange = {},
  ): AsyncGenerator<{ json: string; count: number; last: number | null }> {
    if (this.dialect !== 'sqlite') {
      if (range.after !== undefined || range.upTo !== undefined) throw new Error('inPlayOrderAsJson: a range is for SQLite only');
      for await (const batch of this.inPlayOrder(batchSize))
        yield { json: batch.map((track) => JSON.stringify(track)).join(separator), count: batch.length, last: null };
      return;
    }
    // A batch ends at the batchSize-th track's position, and takes every track at that position (so a tie never
    // straddles two batches): one statement per batch, the next starting after that position. The ordered subquery
    // feeds the aggregate in play order straight from the index (an ORDER BY inside group_concat sorts each batch
    // again: twice the time); the spec checks the order byte for byte against the pages'.
    let after = range.after ?? null;
    const upTo = range.upTo ?? Number.POSITIVE_INFINITY;
    try {
      for (;;) {
        const from: RawBuilder<SqlBool> = after === null ? sql<SqlBool>`true` : sql<SqlBool>`position > ${after}`;
        // The JSON the triggers keep on each track (made here should a row lack it).
        const result: QueryResult<{ json: string | null; n: number; last: number | null; end: number | null }> = await sql<{
          json: string | null;
          n: number;
          last: number | null;
          end: number | null;
        }>`
          with boundary (position) as (select position from tracks where ${from} order by position, id limit 1 offset ${batchSize - 1})
          select count(*) as n, max(position) as last, (select position from boundary) as "end", group_concat(json, ${separator}) as json
          from (
            select position, coalesce(snapshot_json, ${sql.raw(TRACK_JSON_SQLITE)}) as json from tracks
            where ${from} and position <= min(coalesce((select position from boundary), 9e999), ${upTo === Number.POSITIVE_INFINITY ? sql.raw('9e999') : upTo})
            order by position, id
          )`.execute(this.db);
        const { n, last, end, json } = result.rows[0];
        if (Number(n) > 0) yield { json: json ?? '', count: Number(n), last };
        if (end === null || last === null || end >= upTo) return;
        after = last;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * For the snapshot: the library's version, the last change recorded (`seq`), and the positions changed after
   * change `since` (distinct, ascending), read together. `positions` is null when they are not known: no `since`,
   * more than `limit` of them, some already forgotten, or PostgreSQL (which records none; seq is 0 there).
   */
  async snapshotChanges(since: number | null, limit: number): Promise<SnapshotChanges> {
    try {
      if (this.dialect !== 'sqlite') return { version: await this.version(), seq: 0, positions: null };
      const { rows } = await sql<{ version: number; seq: number | null; changed: number }>`
        select (select version from library_state where id = 1) as version,
          (select seq from sqlite_sequence where name = 'library_changes') as seq,
          (select count(*) from library_changes where seq > ${since ?? 0}) as changed`.execute(this.db);
      const { version, changed } = rows[0];
      const seq = Number(rows[0].seq ?? 0);
      // Every change since `since` still there (seq counts up by one; a reader forgets from the oldest).
      const known = since !== null && seq >= since && Number(changed) === seq - since && Number(changed) <= limit;
      if (!known) return { version: Number(version), seq, positions: null };
      const { rows: changes } = await sql<{ position: number }>`
        select distinct position from library_changes where seq > ${since} and seq <= ${seq} order by position`.execute(this.db);
      return { version: Number(version), seq, positions: changes.map((row) => row.position) };
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The snapshot has used the changes up to `seq`: they need not be kept. */
  async forgetChanges(seq: number): Promise<void> {
    if (this.dialect !== 'sqlite') return;
    try {
      await sql`delete from library_changes where seq <= ${seq}`.execute(this.db);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * The query limited to the filter. `lookUp`: the search's indexed words through the index (the other words, and
   * every word otherwise, with LIKE, which the planner reads in the list's order).
   */
  private filtered<O>(
    query: SelectQueryBuilder<WaveDatabase, 'tracks', O>,
    filter: TrackFilter,
    search: Search,
    lookUp: boolean,
  ): SelectQueryBuilder<WaveDatabase, 'tracks', O> {
    const conditions: Expression<SqlBool>[] = [];
    if (lookUp && search.match !== undefined) {
      conditions.push(sql<SqlBool>`search_rowid in (select rowid from tracks_search where tracks_search match ${search.match})`);
    }
    for (const word of lookUp ? search.short : search.words) {
      conditions.push(sql<SqlBool>`search_text like ${`%${escapeLike(word)}%`} escape '\\'`);
    }
    if (filter.genre !== undefined) conditions.push(sql<SqlBool>`lower(genre) = ${filter.genre.toLowerCase()}`);
    if (filter.album !== undefined) conditions.push(sql<SqlBool>`lower(album) = ${filter.album.toLowerCase()}`);
    if (filter.artist !== undefined) conditions.push(sql<SqlBool>`lower(artist) = ${filter.artist.toLowerCase()}`);
    if (filter.tag !== undefined) conditions.push(sql<SqlBool>`tags like ${`%${escapeLike(JSON.stringify(filter.tag))}%`} escape '\\'`);
    return conditions.length > 0 ? query.where((eb) => eb.and(conditions)) : query;
  }
}

/** Tracks per statement of the snapshot's JSON: about 110 kB of text, a millisecond of SQLite. */
const SNAPSHOT_BATCH = 500;

/** Filters' counts remembered at one version of the library (a page through a search asks the same one again and again). */
const REMEMBERED_COUNTS = 500;

/** Part of the play order: the positions after `after` (from the start without it) up to `upTo`, included. */
export interface SnapshotRange {
  after?: number;
  upTo?: number;
}

export interface SnapshotChanges {
  version: number;
  seq: number;
  positions: number[] | null;
}

/** A filter's search words, and on SQLite what the trigram index says of them. */
interface Search {
  words: string[];
  /** The words the index cannot look up (all of them on PostgreSQL). */
  short: string[];
  /** The FTS5 query of the others, and how many tracks match it. */
  match?: string;
  matches?: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** What search matches: lower-case, one field per line, so a word never matches across two fields. */
function searchText(track: Pick<LibraryTrack, 'title' | 'artist' | 'album' | 'genre'>): string {
  return [track.title, track.artist, track.album, track.genre].join('\n').toLowerCase();
}

/** A track's analysis forgotten: to be measured again. */
const NOT_ANALYSED = {
  loudness_integrated_lufs: null,
  loudness_range_lu: null,
  loudness_true_peak_dbtp: null,
  analysed_at: null,
  analysis_error: null,
  cue_in_detected: null,
  cue_out_detected: null,
  cue_threshold_db: null,
} as const satisfies Partial<TracksTable>;

/** `value` rounded to 1/`per` (null stays null): what is stored, so both databases' JSON and JS's write the same digits. */
export function roundTo<T extends number | null>(value: T, per: number): T {
  if (value === null) return value;
  const rounded = Math.round(value * per) / per;
  // -0 reads back as 0 from SQLite's text; stored as 0 so every path agrees.
  return (rounded === 0 ? 0 : rounded) as T;
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
    ...NOT_ANALYSED,
    cue_in_operator: null,
    cue_out_operator: null,
  };
}

const numberOrNull = (value: number | null): number | null => (value === null ? null : Number(value));

/** The row as the LibraryTrack the snapshot writes (its fields in TRACK_JSON_SQLITE_0005's order) and its analysis' state. */
function toStored(row: TrackRow): StoredTrack {
  const integrated = numberOrNull(row.loudness_integrated_lufs);
  const sound: TrackSoundState = {
    analysedAt: row.analysed_at,
    error: row.analysis_error,
    thresholdDb: numberOrNull(row.cue_threshold_db),
    cueInDetected: numberOrNull(row.cue_in_detected),
    cueOutDetected: numberOrNull(row.cue_out_detected),
    cueInOperator: numberOrNull(row.cue_in_operator),
    cueOutOperator: numberOrNull(row.cue_out_operator),
  };
  const track: LibraryTrack = {
    id: row.id,
    title: row.title,
    artist: row.artist,
    album: row.album,
    genre: row.genre,
    tags: parseTags(row.tags),
    path: row.path,
    duration: Number(row.duration),
    addedAt: row.added_at,
    loudness:
      integrated === null
        ? null
        : {
            integratedLufs: integrated,
            rangeLu: Number(row.loudness_range_lu ?? 0),
            truePeakDbtp: Number(row.loudness_true_peak_dbtp ?? 0),
          },
    cueIn: sound.cueInOperator ?? sound.cueInDetected,
    cueOut: sound.cueOutOperator ?? sound.cueOutDetected,
  };
  return { ...track, sound };
}

/** The LibraryTrack of a stored track (its analysis' state left out). */
export function libraryTrack({ sound: _sound, ...track }: StoredTrack): LibraryTrack {
  return track;
}

function parseTags(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
