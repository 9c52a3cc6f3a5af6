import { type Kysely, sql } from 'kysely';

/**
 * Play history (issue 12): the indexes its list and its writes need, beside 0001's (started_at, id).
 * - (source, started_at, id): a page filtered by source is an index range too, however rare that source is.
 * - open rows (ended_at IS NULL), partial: closing what is on the air touches one or two rows, not the table.
 * Both SQLite and PostgreSQL take partial indexes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('play_history_source_started_at').on('play_history').columns(['source', 'started_at', 'id']).execute();
  await db.schema.createIndex('play_history_open').on('play_history').column('started_at').where(sql.ref('ended_at'), 'is', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('play_history_open').execute();
  await db.schema.dropIndex('play_history_source_started_at').execute();
}
