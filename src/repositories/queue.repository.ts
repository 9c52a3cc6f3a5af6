import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Database, databaseError } from '../database/database.js';
import type { WaveDatabase } from '../database/schema.js';
import type { QueueItem } from '../contracts/programme.js';

/** A queue item with what the list shows of its track. */
export interface QueueEntry extends QueueItem {
  title: string;
  artist: string;
  duration: number;
}

export type QueueInsertOutcome =
  | { ok: true; item: QueueItem; count: number }
  | { ok: false; reason: 'unknown_track' }
  | { ok: false; reason: 'position_out_of_range'; length: number }
  | { ok: false; reason: 'full'; length: number };

/**
 * The request queue (`queue_items`): the only code that queries it. Stored positions order the items and may have
 * gaps (an item removed, or gone with its track, leaves one); the positions it answers are the items' places,
 * 0 first. An insert shifts the items at and after its place.
 */
@Injectable()
export class QueueRepository {
  private readonly db: Kysely<WaveDatabase>;
  private readonly dialect: Database['dialect'];

  constructor(database: Database) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  /** The queue in order, with each item's track. */
  async list(): Promise<QueueEntry[]> {
    try {
      const rows = await this.db
        .selectFrom('queue_items')
        .innerJoin('tracks', 'tracks.id', 'queue_items.track_id')
        .select(['queue_items.id', 'queue_items.track_id', 'queue_items.added_at', 'tracks.title', 'tracks.artist', 'tracks.duration'])
        .orderBy('queue_items.position')
        .orderBy('queue_items.id')
        .execute();
      return rows.map((row, position) => ({
        id: row.id,
        trackId: row.track_id,
        position,
        addedAt: row.added_at,
        title: row.title,
        artist: row.artist,
        duration: Number(row.duration),
      }));
    } catch (error) {
      throw databaseError(error);
    }
  }

  async count(): Promise<number> {
    try {
      const { n } = await this.db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Puts a request for the library track `trackId` at `position` (0: next; the length or undefined: last), in one
   * transaction that checks the track, the place and the bound `max` first.
   */
  async insert(id: string, trackId: string, position: number | undefined, max: number, at: string): Promise<QueueInsertOutcome> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<QueueInsertOutcome> => {
        // PostgreSQL: inserts one at a time across instances, so each counts and shifts what the last one left (and
        // the bound holds). SQLite's one connection runs one transaction at a time anyway.
        if (this.dialect === 'postgres') await trx.selectFrom('programme_settings').select('id').where('id', '=', 1).forUpdate().execute();
        if (!(await trx.selectFrom('tracks').select('id').where('id', '=', trackId).executeTakeFirst()))
          return { ok: false, reason: 'unknown_track' };
        const { n } = await trx
          .selectFrom('queue_items')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        const length = Number(n);
        if (length >= max) return { ok: false, reason: 'full', length };
        if (position !== undefined && position > length) return { ok: false, reason: 'position_out_of_range', length };
        const place = position ?? length;
        const there =
          place === length
            ? undefined
            : await trx
                .selectFrom('queue_items')
                .select('position')
                .orderBy('position')
                .orderBy('id')
                .limit(1)
                .offset(place)
                .executeTakeFirst();
        let stored: number;
        if (there) {
          stored = Number(there.position);
          await trx
            .updateTable('queue_items')
            .set((eb) => ({ position: eb('position', '+', 1) }))
            .where('position', '>=', stored)
            .execute();
        } else {
          const { last } = await trx
            .selectFrom('queue_items')
            .select((eb) => eb.fn.max('position').as('last'))
            .executeTakeFirstOrThrow();
          stored = last === null || last === undefined ? 0 : Number(last) + 1;
        }
        await trx.insertInto('queue_items').values({ id, track_id: trackId, position: stored, added_at: at }).execute();
        return { ok: true, item: { id, trackId, position: place, addedAt: at }, count: length + 1 };
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Whether there was such an item. */
  async remove(id: string): Promise<boolean> {
    try {
      const [result] = await this.db.deleteFrom('queue_items').where('id', '=', id).execute();
      return Number(result?.numDeletedRows ?? 0) > 0;
    } catch (error) {
      throw databaseError(error);
    }
  }
}
