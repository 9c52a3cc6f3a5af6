import { Injectable } from '@nestjs/common';
import { type Expression, type Kysely, sql, type SqlBool } from 'kysely';
import { createHash } from 'node:crypto';
import { Database, databaseError } from '../database/database.js';
import type { PlayHistoryTable, WaveDatabase } from '../database/schema.js';
import { TRACK_REASONS } from '../contracts/socket-events.js';

/**
 * Why something played: a library track for one of the programme's reasons (`rotation`, `playlist` — an ordered
 * playlist or the library in its order —, `jingle`, `hourly`, `request`), a radio URL (`radio`), a DJ through RTMP (`live`).
 */
export const PLAY_SOURCES = [...TRACK_REASONS, 'radio', 'live'] as const;
export type PlaySource = (typeof PLAY_SOURCES)[number];

/** One row of the history. Times are ISO-8601 UTC (`toISOString()`), so they sort as they compare. */
export interface Play {
  id: string;
  startedAt: string;
  /** Null while it is on the air. */
  endedAt: string | null;
  source: PlaySource;
  /** The library track; null for radio and live. */
  trackId: string | null;
  title: string;
  artist: string;
}

export type NewPlay = Omit<Play, 'id' | 'endedAt'>;

export interface PlayPageQuery {
  order: 'asc' | 'desc';
  limit: number;
  /** Rows that started at or after `from`, at or before `to` (ISO-8601 UTC). */
  from?: string;
  to?: string;
  source?: PlaySource;
  /** started_at and id of the last row of the previous page. */
  after?: { startedAt: string; id: string };
}

export interface PlayPage {
  items: Play[];
  /** started_at and id of the last row, when more rows follow. */
  last: { startedAt: string; id: string } | null;
}

/** wave_meta key: the last time Wave knew what was on the air (at boot, rows left open are closed then). */
const LAST_KNOWN_KEY = 'play_history.last_known_at';

/**
 * The play history in the database: the only code that queries `play_history`. Every statement uses an index
 * (migrations 0001, 0002): a page is a range of (started_at, id) or (source, started_at, id), whatever its depth;
 * open rows are found through the partial index on ended_at IS NULL.
 *
 * Writes are idempotent: a row's id is derived from (startedAt, source, trackId), inserted with ON CONFLICT DO
 * NOTHING, and a close only touches rows still open. So two instances writing the same facts (each hears the
 * daemon over PM2's bus) store them once.
 */
@Injectable()
export class PlayHistoryRepository {
  /** Public for the medium spec, which fills a million rows in one statement; services call the methods. */
  readonly db: Kysely<WaveDatabase>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /**
   * Puts `play` on the air: every open row that started before it is closed at its start, then the row is
   * inserted (unless a row with the same start, source and track is there already). A play heard late (a row started
   * after it is there already) ends where the first of those starts. One transaction.
   */
  async start(play: NewPlay): Promise<Play> {
    const row: PlayHistoryTable = {
      id: playId(play),
      started_at: play.startedAt,
      ended_at: null,
      source: play.source,
      track_id: play.trackId,
      title: play.title,
      artist: play.artist,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await closeRows(trx, play.startedAt, (open) => open.id !== row.id && open.started_at <= play.startedAt);
        await trx
          .insertInto('play_history')
          .values(row)
          .onConflict((oc) => oc.doNothing())
          .execute();
        const later = await trx
          .selectFrom('play_history')
          .select((eb) => eb.fn.min('started_at').as('next'))
          .where('started_at', '>', play.startedAt)
          .executeTakeFirst();
        if (later?.next) {
          await trx
            .updateTable('play_history')
            .set({ ended_at: later.next })
            .where('id', '=', row.id)
            .where('ended_at', 'is', null)
            .execute();
          row.ended_at = later.next;
        }
        await upsertLastKnown(trx, play.startedAt);
      });
      return toPlay(row);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Closes the open rows (of these sources only, when given) at `at`; a row that started later than `at` (Wave's
   * clock against the daemon's) ends where it started. The number of rows closed.
   */
  async closeOpen(at: string, sources?: readonly PlaySource[]): Promise<number> {
    try {
      return await this.db
        .transaction()
        .execute((trx) => closeRows(trx, at, (open) => !sources || sources.includes(open.source as PlaySource)));
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Closes the open row of this library track at `at`, if it started before then (a late end report never
   * closes the track's next play). The number of rows closed.
   */
  async closeTrack(trackId: string, at: string): Promise<number> {
    try {
      return await this.db.transaction().execute((trx) => closeRows(trx, at, (open) => open.track_id === trackId && open.started_at < at));
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The open rows, oldest first (normally one at most). */
  async open(): Promise<Play[]> {
    try {
      return (await openRowsQuery(this.db).execute()).map(toPlay);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The statement that finds the open rows, for open() and every close (medium specs read its plan: the partial index). */
  openRowsQuery() {
    return openRowsQuery(this.db);
  }

  /** The last time Wave knew what was on the air (a write, a heartbeat, a clean stop); null before any. */
  async lastKnown(): Promise<string | null> {
    try {
      const row = await this.db.selectFrom('wave_meta').select('value').where('key', '=', LAST_KNOWN_KEY).executeTakeFirst();
      return row?.value ?? null;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Records `at` as the last time Wave knew what was on the air (kept when a later time is stored already). */
  async markKnown(at: string): Promise<void> {
    try {
      await upsertLastKnown(this.db, at);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** One page, newest first by default; keyset on (started_at, id), so a page deep in the history costs what the first does. */
  async page(query: PlayPageQuery): Promise<PlayPage> {
    try {
      const rows = await this.pageQuery(query).execute();
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const lastRow = shown.at(-1);
      return { items: shown.map(toPlay), last: more && lastRow ? { startedAt: lastRow.started_at, id: lastRow.id } : null };
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The statement page() runs (medium specs read its plan). */
  pageQuery(query: PlayPageQuery) {
    const conditions: Expression<SqlBool>[] = [];
    if (query.source !== undefined) conditions.push(sql<SqlBool>`source = ${query.source}`);
    if (query.from !== undefined) conditions.push(sql<SqlBool>`started_at >= ${query.from}`);
    if (query.to !== undefined) conditions.push(sql<SqlBool>`started_at <= ${query.to}`);
    if (query.after) {
      const { startedAt, id } = query.after;
      conditions.push(
        query.order === 'desc'
          ? sql<SqlBool>`(started_at, id) < (${startedAt}, ${id})`
          : sql<SqlBool>`(started_at, id) > (${startedAt}, ${id})`,
      );
    }
    let select = this.db.selectFrom('play_history').selectAll();
    if (conditions.length > 0) select = select.where((eb) => eb.and(conditions));
    return select
      .orderBy('started_at', query.order)
      .orderBy('id', query.order)
      .limit(query.limit + 1);
  }
}

/** The row's id: the same facts (start, source, track) give the same id, on every instance. */
export function playId(play: Pick<NewPlay, 'startedAt' | 'source' | 'trackId'>): string {
  const hex = createHash('sha256')
    .update(`${play.startedAt}\n${play.source}\n${play.trackId ?? ''}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The open rows, through the partial index on ended_at IS NULL (a handful of rows, never the table). Closes find
 * them so and then update by id: a condition on source or track in the UPDATE itself let SQLite's planner pick the
 * (source, started_at) index and walk every radio and live row of the history.
 */
function openRowsQuery(db: Kysely<WaveDatabase>) {
  return db.selectFrom('play_history').selectAll().where('ended_at', 'is', null).orderBy('started_at');
}

/** Closes the open rows `which` picks at `at` (a row that started after `at` ends where it started); how many it closed. */
async function closeRows(trx: Kysely<WaveDatabase>, at: string, which: (open: PlayHistoryTable) => boolean): Promise<number> {
  let closed = 0;
  for (const open of (await openRowsQuery(trx).execute()).filter(which)) {
    const [result] = await trx
      .updateTable('play_history')
      .set({ ended_at: open.started_at > at ? open.started_at : at })
      .where('id', '=', open.id)
      .where('ended_at', 'is', null)
      .execute();
    closed += Number(result?.numUpdatedRows ?? 0);
  }
  return closed;
}

async function upsertLastKnown(db: Kysely<WaveDatabase>, at: string): Promise<void> {
  await db
    .insertInto('wave_meta')
    .values({ key: LAST_KNOWN_KEY, value: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: at }).where('wave_meta.value', '<', at))
    .execute();
}

function toPlay(row: PlayHistoryTable): Play {
  return {
    id: row.id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    source: row.source as PlaySource,
    trackId: row.track_id,
    title: row.title,
    artist: row.artist,
  };
}
