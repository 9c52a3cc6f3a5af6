import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Database, databaseError } from '../database/database.js';
import type { WaveDatabase } from '../database/schema.js';
import type { StoredProgramme } from '../contracts/programme.js';

/** The zone the settings row starts with (migration 0004). */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * The programme's state (the decider's state after every play, and the look-ahead decided from it) and the station's
 * time zone (`programme_state`, `programme_settings`; one row each, id 1).
 */
@Injectable()
export class ProgrammeStateRepository {
  private readonly db: Kysely<WaveDatabase>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /** What was last saved; null before the first save, or when what is stored is not JSON of one. */
  async getState(): Promise<StoredProgramme | null> {
    try {
      const row = await this.db.selectFrom('programme_state').select('state_json').where('id', '=', 1).executeTakeFirst();
      if (!row) return null;
      try {
        const parsed: unknown = JSON.parse(row.state_json);
        return isStoredProgramme(parsed) ? parsed : null;
      } catch {
        return null;
      }
    } catch (error) {
      throw databaseError(error);
    }
  }

  async saveState(programme: StoredProgramme, at: string = new Date().toISOString()): Promise<void> {
    const state_json = JSON.stringify(programme);
    try {
      await this.db
        .insertInto('programme_state')
        .values({ id: 1, state_json, updated_at: at })
        .onConflict((oc) => oc.column('id').doUpdateSet({ state_json, updated_at: at }))
        .execute();
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The station's IANA time zone (`UTC` until one is set). */
  async getTimeZone(): Promise<string> {
    try {
      const row = await this.db.selectFrom('programme_settings').select('time_zone').where('id', '=', 1).executeTakeFirst();
      return row?.time_zone ?? DEFAULT_TIME_ZONE;
    } catch (error) {
      throw databaseError(error);
    }
  }

  async setTimeZone(timeZone: string): Promise<void> {
    try {
      await this.db
        .insertInto('programme_settings')
        .values({ id: 1, time_zone: timeZone })
        .onConflict((oc) => oc.column('id').doUpdateSet({ time_zone: timeZone }))
        .execute();
    } catch (error) {
      throw databaseError(error);
    }
  }
}

function isStoredProgramme(value: unknown): value is StoredProgramme {
  if (value === null || typeof value !== 'object') return false;
  const { state, planned } = value as Partial<StoredProgramme>;
  return state !== null && typeof state === 'object' && !Array.isArray(state) && Array.isArray(planned);
}
