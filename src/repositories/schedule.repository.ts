import { Injectable } from '@nestjs/common';
import { type Kysely, type Transaction } from 'kysely';
import { Database, databaseError } from '../database/database.js';
import type { ScheduleEntriesTable, WaveDatabase } from '../database/schema.js';
import type { IsoWeekday, ScheduleEntry } from '../contracts/programme.js';

export type ScheduleEntryFields = Omit<ScheduleEntry, 'id' | 'createdAt'>;

/** What a write's vetting sees, read in the write's transaction: every other entry, and the playlists' names. */
export interface ScheduleContext {
  others: ScheduleEntry[];
  playlistNames: Map<string, string>;
}

/** Refuses an entry (by throwing) given the rest of the schedule; a refusal writes nothing. */
export type ScheduleVet = (entry: ScheduleEntry, context: ScheduleContext) => void;

/**
 * The weekly schedule (`schedule_entries`): the only code that queries it. A write reads the rest of the schedule in
 * its own transaction and hands it to the caller's vet (the overlap rule is the service's), so two writes can never
 * both pass against a schedule that is no longer there: SQLite's one connection runs one transaction at a time, and
 * on PostgreSQL each write locks the settings row first.
 */
@Injectable()
export class ScheduleRepository {
  private readonly db: Kysely<WaveDatabase>;
  private readonly dialect: Database['dialect'];

  constructor(database: Database) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  /** Every entry, oldest first. */
  async list(): Promise<ScheduleEntry[]> {
    try {
      return (await this.db.selectFrom('schedule_entries').selectAll().orderBy('created_at').orderBy('id').execute()).map(toEntry);
    } catch (error) {
      throw databaseError(error);
    }
  }

  async get(id: string): Promise<ScheduleEntry | null> {
    try {
      const row = await this.db.selectFrom('schedule_entries').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toEntry(row) : null;
    } catch (error) {
      throw databaseError(error);
    }
  }

  async create(entry: ScheduleEntry, vet: ScheduleVet): Promise<ScheduleEntry> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        vet(entry, await this.context(trx, entry.id));
        await trx.insertInto('schedule_entries').values(toRow(entry)).execute();
        return entry;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The entry with `changes`, vetted and stored; null when there is no such entry. */
  async update(id: string, changes: Partial<ScheduleEntryFields>, vet: ScheduleVet): Promise<ScheduleEntry | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('schedule_entries').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        const entry: ScheduleEntry = { ...toEntry(row), ...changes, id };
        vet(entry, await this.context(trx, id));
        const { id: _id, created_at: _created, ...columns } = toRow(entry);
        await trx.updateTable('schedule_entries').set(columns).where('id', '=', id).execute();
        return entry;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Whether there was such an entry. */
  async remove(id: string): Promise<boolean> {
    try {
      const [result] = await this.db.deleteFrom('schedule_entries').where('id', '=', id).execute();
      return Number(result?.numDeletedRows ?? 0) > 0;
    } catch (error) {
      throw databaseError(error);
    }
  }

  private async context(trx: Transaction<WaveDatabase>, id: string): Promise<ScheduleContext> {
    // PostgreSQL: schedule writes one at a time across instances (read committed would let two vet the same schedule).
    if (this.dialect === 'postgres') await trx.selectFrom('programme_settings').select('id').where('id', '=', 1).forUpdate().execute();
    const others = (await trx.selectFrom('schedule_entries').selectAll().where('id', '!=', id).execute()).map(toEntry);
    const playlists = await trx.selectFrom('playlists').select(['id', 'name']).execute();
    return { others, playlistNames: new Map(playlists.map((p) => [p.id, p.name])) };
  }
}

function toRow(entry: ScheduleEntry): ScheduleEntriesTable {
  return {
    id: entry.id,
    playlist_id: entry.playlistId,
    days: JSON.stringify(entry.days),
    start_time: entry.start,
    end_time: entry.end,
    start_date: entry.startDate,
    end_date: entry.endDate,
    priority: entry.priority,
    created_at: entry.createdAt,
  };
}

function toEntry(row: ScheduleEntriesTable): ScheduleEntry {
  return {
    id: row.id,
    playlistId: row.playlist_id,
    days: parseDays(row.days),
    start: row.start_time,
    end: row.end_time,
    startDate: row.start_date,
    endDate: row.end_date,
    priority: Number(row.priority),
    createdAt: row.created_at,
  };
}

function parseDays(text: string): IsoWeekday[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((d): d is IsoWeekday => Number.isInteger(d) && d >= 1 && d <= 7) : [];
  } catch {
    return [];
  }
}
