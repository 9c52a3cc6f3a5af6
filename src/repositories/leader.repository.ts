import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Database, databaseError } from '../database/database.js';
import type { WaveDatabase } from '../database/schema.js';
import type { StationLeader } from '../contracts/socket-events.js';

const KEY = 'leader';

/** The leader's announcement, one row of `wave_meta` that every instance reads: the only code that queries it. */
@Injectable()
export class LeaderRepository {
  private readonly db: Kysely<WaveDatabase>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /** Stores `leader` as the one announcement (written by the holder of the leader lock only). */
  async announce(leader: StationLeader): Promise<void> {
    const value = JSON.stringify(leader);
    try {
      await this.db
        .insertInto('wave_meta')
        .values({ key: KEY, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The last announcement; null when no instance ever led this station. */
  async current(): Promise<StationLeader | null> {
    try {
      const row = await this.db.selectFrom('wave_meta').select('value').where('key', '=', KEY).executeTakeFirst();
      return row ? (JSON.parse(row.value) as StationLeader) : null;
    } catch (error) {
      throw databaseError(error);
    }
  }
}
