import { type Kysely, sql } from 'kysely';

/**
 * Programming (issue 13): playlists and their tracks, the weekly schedule, the request queue, the decider's state and
 * the station's time zone; and `play_history.playlist_id`, the playlist a track played from ("why it played").
 *
 * - Memberships and queue items go with their track (ON DELETE CASCADE; `Database` turns SQLite's foreign keys on), and
 *   memberships and schedule entries with their playlist. PostgreSQL indexes no foreign key by itself: `track_id` is
 *   indexed, so removing a track does not read every membership.
 * - Positions are integers that order the rows; gaps are allowed (a cascade leaves them), so an insert shifts only the
 *   rows after it and a removal shifts none.
 * - `programme_state` and `programme_settings` hold one row each (id 1). The state is the decider's JSON, written
 *   after every play; the settings row exists from here on, with the zone `UTC`.
 * Types both databases take as they are (text, integer), so one file serves both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('playlists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // 0 or 1: SQLite has no boolean.
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('artist_separation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('every_tracks', 'integer')
    .addColumn('every_minutes', 'integer')
    .addColumn('minute', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('playlist_tracks')
    .addColumn('playlist_id', 'text', (c) => c.notNull().references('playlists.id').onDelete('cascade'))
    .addColumn('track_id', 'text', (c) => c.notNull().references('tracks.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('playlist_tracks_pk', ['playlist_id', 'track_id'])
    .execute();
  // Covering: a playlist's track ids in order come from the index alone (50,000 of them in one read).
  await db.schema.createIndex('playlist_tracks_order').on('playlist_tracks').columns(['playlist_id', 'position', 'track_id']).execute();
  await db.schema.createIndex('playlist_tracks_track').on('playlist_tracks').column('track_id').execute();

  await db.schema
    .createTable('schedule_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('playlist_id', 'text', (c) => c.notNull().references('playlists.id').onDelete('cascade'))
    // JSON array of ISO weekdays, e.g. `[1,2,3,4,5]`.
    .addColumn('days', 'text', (c) => c.notNull())
    // `start` and `end` are SQL keywords: named so no raw statement has to quote them.
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text', (c) => c.notNull())
    .addColumn('start_date', 'text')
    .addColumn('end_date', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('schedule_entries_playlist').on('schedule_entries').column('playlist_id').execute();

  await db.schema
    .createTable('queue_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('track_id', 'text', (c) => c.notNull().references('tracks.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('queue_items_order').on('queue_items').columns(['position', 'id']).execute();
  await db.schema.createIndex('queue_items_track').on('queue_items').column('track_id').execute();

  await db.schema
    .createTable('programme_state')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('state_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('programme_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .execute();
  await sql`insert into programme_settings (id, time_zone) values (1, 'UTC')`.execute(db);

  await db.schema.alterTable('play_history').addColumn('playlist_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('play_history').dropColumn('playlist_id').execute();
  for (const table of ['programme_settings', 'programme_state', 'queue_items', 'schedule_entries', 'playlist_tracks', 'playlists'])
    await db.schema.dropTable(table).execute();
}
