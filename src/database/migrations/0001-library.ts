import { type Kysely, sql } from 'kysely';

/**
 * The library and the play history. Types both SQLite and PostgreSQL take as they are: text, integer,
 * double precision (SQLite gives it REAL affinity, PostgreSQL 8 bytes).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tracks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('position', 'double precision', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('album', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('genre', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('duration', 'double precision', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('file_size', 'double precision')
    .addColumn('file_mtime_ms', 'double precision')
    .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // One index per sort the list offers, each ending in id: a page is an index range, whatever its depth.
  await db.schema.createIndex('tracks_position').on('tracks').columns(['position', 'id']).execute();
  await db.schema
    .createIndex('tracks_title')
    .on('tracks')
    .expression(sql`lower(title), id`)
    .execute();
  await db.schema
    .createIndex('tracks_artist')
    .on('tracks')
    .expression(sql`lower(artist), id`)
    .execute();
  await db.schema
    .createIndex('tracks_album')
    .on('tracks')
    .expression(sql`lower(album), id`)
    .execute();
  await db.schema.createIndex('tracks_added_at').on('tracks').columns(['added_at', 'id']).execute();
  await db.schema.createIndex('tracks_duration').on('tracks').columns(['duration', 'id']).execute();
  await db.schema.createIndex('tracks_path').on('tracks').column('path').execute();

  await db.schema
    .createTable('play_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('track_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('artist', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('play_history_started_at').on('play_history').columns(['started_at', 'id']).execute();

  await db.schema
    .createTable('wave_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('wave_meta').execute();
  await db.schema.dropTable('play_history').execute();
  await db.schema.dropTable('tracks').execute();
}
