import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The library at 50,000 tracks and more:
 *
 * - `library_state.version`, a number every change to `tracks` raises (triggers, in the writer's own transaction,
 *   whichever code or instance writes), so what is derived from the library (the `audio-tracks.json` snapshot, a
 *   search's total) is known to be current without reading the library again.
 * - SQLite: `tracks_search`, an FTS5 trigram index of `tracks.search_text` kept by triggers, so a search word of three
 *   characters or more finds its tracks without reading every row. `case_sensitive 1` on text that is already lower
 *   case: a match is exactly `search_text LIKE '%word%'`. `tracks.search_rowid` is the track's row in it (the
 *   implicit rowid of `tracks` is not promised to survive a VACUUM).
 * - SQLite: `tracks.snapshot_json`, the track as `audio-tracks.json` holds it (JSON.stringify of the LibraryTrack,
 *   byte for byte), kept by triggers: the snapshot reads it instead of making each track's JSON again.
 * - SQLite: `library_changes`, the play-order positions where a track was added, changed, moved or removed (a row per
 *   change, by triggers): the snapshot reads again only the parts of the list around them. A reader forgets those it
 *   has used; AUTOINCREMENT keeps `seq` rising even when the table is emptied.
 * - PostgreSQL: a pg_trgm GIN index on `search_text` (which `LIKE '%word%'` uses) where the extension is there or
 *   may be created; without it search reads every row, as before.
 */
export function libraryAtScale(dialect: 'sqlite' | 'postgres'): Migration {
  return dialect === 'sqlite' ? { up: upSqlite, down: downSqlite } : { up: upPostgres, down: downPostgres };
}

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/**
 * The track's JSON as JSON.stringify writes TrackRepository's LibraryTrack: its fields in that order, tags as an array,
 * a whole number of seconds without `.0` (and other durations in the shortest digits that read back the same).
 */
export const TRACK_JSON_SQLITE = `json_object(
  'id', id, 'title', title, 'artist', artist, 'album', album, 'genre', genre,
  'tags', case when json_valid(tags) and json_type(tags) = 'array' then json(tags) else json_array() end,
  'path', path,
  'duration', json(case when duration = cast(duration as integer) then cast(cast(duration as integer) as text) else cast(duration as text) end),
  'addedAt', added_at)`;

async function upSqlite(db: Kysely<unknown>): Promise<void> {
  // Kysely runs SQLite migrations outside a transaction: this one is all or nothing.
  await db.transaction().execute((trx) =>
    run(trx, [
      `CREATE TABLE library_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`,
      `INSERT INTO library_state (id, version) VALUES (1, 0)`,
      `ALTER TABLE tracks ADD COLUMN search_rowid INTEGER`,
      `ALTER TABLE tracks ADD COLUMN snapshot_json TEXT`,
      `CREATE VIRTUAL TABLE tracks_search USING fts5(search_text, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')`,
      `INSERT INTO tracks_search (rowid, search_text) SELECT rowid, search_text FROM tracks`,
      `UPDATE tracks SET search_rowid = rowid, snapshot_json = ${TRACK_JSON_SQLITE}`,
      `CREATE INDEX tracks_search_rowid ON tracks (search_rowid)`,
      // The search index and the JSON follow every row (an insert's row id in the index is stored on the track).
      `CREATE TRIGGER tracks_search_insert AFTER INSERT ON tracks BEGIN
         INSERT INTO tracks_search (search_text) VALUES (new.search_text);
         UPDATE tracks SET search_rowid = last_insert_rowid(), snapshot_json = ${TRACK_JSON_SQLITE} WHERE rowid = new.rowid;
       END`,
      `CREATE TRIGGER tracks_json_update AFTER UPDATE OF id, title, artist, album, genre, tags, path, duration, added_at ON tracks BEGIN
         UPDATE tracks SET snapshot_json = ${TRACK_JSON_SQLITE} WHERE rowid = new.rowid;
       END`,
      `CREATE TRIGGER tracks_search_update AFTER UPDATE OF search_text ON tracks BEGIN
         UPDATE tracks_search SET search_text = new.search_text WHERE rowid = new.search_rowid;
       END`,
      `CREATE TRIGGER tracks_search_delete AFTER DELETE ON tracks BEGIN
         DELETE FROM tracks_search WHERE rowid = old.search_rowid;
       END`,
      `CREATE TABLE library_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, position REAL NOT NULL)`,
      `CREATE TRIGGER tracks_changes_insert AFTER INSERT ON tracks BEGIN INSERT INTO library_changes (position) VALUES (new.position); END`,
      `CREATE TRIGGER tracks_changes_delete AFTER DELETE ON tracks BEGIN INSERT INTO library_changes (position) VALUES (old.position); END`,
      // A change of the JSON (the trigger above rewrites it) or of the place: where it was, and where it is.
      `CREATE TRIGGER tracks_changes_update AFTER UPDATE OF position, snapshot_json ON tracks BEGIN
         INSERT INTO library_changes (position) VALUES (old.position);
         INSERT INTO library_changes (position) SELECT new.position WHERE new.position IS NOT old.position;
       END`,
      // SQLite has row triggers only: one raise per row changed (cheap: one row of a one-row table).
      `CREATE TRIGGER tracks_version_insert AFTER INSERT ON tracks BEGIN UPDATE library_state SET version = version + 1 WHERE id = 1; END`,
      `CREATE TRIGGER tracks_version_update AFTER UPDATE ON tracks BEGIN UPDATE library_state SET version = version + 1 WHERE id = 1; END`,
      `CREATE TRIGGER tracks_version_delete AFTER DELETE ON tracks BEGIN UPDATE library_state SET version = version + 1 WHERE id = 1; END`,
    ]),
  );
}

async function downSqlite(db: Kysely<unknown>): Promise<void> {
  await db
    .transaction()
    .execute((trx) =>
      run(trx, [
        ...[
          'version_insert',
          'version_update',
          'version_delete',
          'search_insert',
          'search_update',
          'search_delete',
          'json_update',
          'changes_insert',
          'changes_update',
          'changes_delete',
        ].map((name) => `DROP TRIGGER tracks_${name}`),
        `DROP INDEX tracks_search_rowid`,
        `DROP TABLE tracks_search`,
        `ALTER TABLE tracks DROP COLUMN search_rowid`,
        `ALTER TABLE tracks DROP COLUMN snapshot_json`,
        `DROP TABLE library_state`,
      ]),
    );
}

async function upPostgres(db: Kysely<unknown>): Promise<void> {
  await run(db, [
    `CREATE TABLE library_state (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)`,
    `INSERT INTO library_state (id, version) VALUES (1, 0)`,
    `CREATE FUNCTION wave_library_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE library_state SET version = version + 1 WHERE id = 1;
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER tracks_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tracks
       FOR EACH STATEMENT EXECUTE PROCEDURE wave_library_changed()`,
    // Each step in its own block: a refusal (no right to create the extension, its operator class in a schema off
    // the search path, the statement timeout on a huge library) leaves search as it was, not a failed migration.
    `DO $$
     BEGIN
       BEGIN
         CREATE EXTENSION IF NOT EXISTS pg_trgm;
       EXCEPTION WHEN OTHERS THEN
         RAISE NOTICE 'pg_trgm not created (%): track search reads every row', SQLERRM;
       END;
       BEGIN
         CREATE INDEX tracks_search_trgm ON tracks USING gin (search_text gin_trgm_ops);
       EXCEPTION WHEN OTHERS THEN
         RAISE NOTICE 'tracks_search_trgm not created (%): track search reads every row', SQLERRM;
       END;
     END $$`,
  ]);
}

async function downPostgres(db: Kysely<unknown>): Promise<void> {
  await run(db, [
    `DROP INDEX IF EXISTS tracks_search_trgm`,
    `DROP TRIGGER tracks_version ON tracks`,
    `DROP FUNCTION wave_library_changed()`,
    `DROP TABLE library_state`,
  ]);
}
