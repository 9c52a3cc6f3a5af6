import { type Kysely, type Migration, sql, type Transaction } from 'kysely';
import { TRACK_JSON_SQLITE } from './0003-library-at-scale.js';

/**
 * Sound (issue 14): each track's loudness (EBU R128: integrated, range, true peak) and its cue points.
 *
 * - `loudness_*`: the analysis' result, null until measured. `analysed_at` when the analysis last ran (on success or
 *   failure; null: to be measured, e.g. never yet or the file changed since), `analysis_error` the failure's code.
 * - `cue_in_detected` / `cue_out_detected`: where the leading silence ends and the trailing silence starts (null: none
 *   found), at `cue_threshold_db`, the threshold that analysis used (another one set since: detected again).
 * - `cue_in_operator` / `cue_out_operator`: the operator's own cues (API), which win over the detected ones.
 * Numbers are stored rounded (loudness to 0.01, seconds to 0.001: TrackRepository), so the JSON below writes them in
 * the digits JSON.stringify writes.
 *
 * SQLite: `snapshot_json` (migration 0003) now carries `loudness`, `cueIn` and `cueOut` after the other fields: its
 * triggers are made again with TRACK_JSON_SQLITE_0005 (the update trigger fires on the new columns too) and every
 * row's JSON is written again.
 */
export function sound(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db) {
      const run = async (trx: Transaction<unknown> | Kysely<unknown>) => {
        for (const column of NEW_COLUMNS) await trx.schema.alterTable('tracks').addColumn(column.name, column.type).execute();
        if (dialect === 'sqlite') {
          for (const statement of sqliteTriggers(TRACK_JSON_SQLITE_0005, ALL_JSON_COLUMNS)) await sql.raw(statement).execute(trx);
        }
      };
      // Kysely runs SQLite migrations outside a transaction: this one is all or nothing.
      await (dialect === 'sqlite' ? db.transaction().execute(run) : run(db));
    },
    async down(db) {
      const run = async (trx: Transaction<unknown> | Kysely<unknown>) => {
        if (dialect === 'sqlite') {
          for (const statement of sqliteTriggers(TRACK_JSON_SQLITE, JSON_COLUMNS_0003)) await sql.raw(statement).execute(trx);
        }
        for (const column of [...NEW_COLUMNS].reverse()) await trx.schema.alterTable('tracks').dropColumn(column.name).execute();
      };
      await (dialect === 'sqlite' ? db.transaction().execute(run) : run(db));
    },
  };
}

const NEW_COLUMNS = [
  { name: 'loudness_integrated_lufs', type: 'double precision' },
  { name: 'loudness_range_lu', type: 'double precision' },
  { name: 'loudness_true_peak_dbtp', type: 'double precision' },
  { name: 'analysed_at', type: 'text' },
  { name: 'analysis_error', type: 'text' },
  { name: 'cue_in_detected', type: 'double precision' },
  { name: 'cue_out_detected', type: 'double precision' },
  { name: 'cue_threshold_db', type: 'double precision' },
  { name: 'cue_in_operator', type: 'double precision' },
  { name: 'cue_out_operator', type: 'double precision' },
] as const;

/** A number as JSON.stringify writes it: a whole number without `.0`, others in the shortest digits; null stays null. */
function jsonNumber(expression: string): string {
  return `json(case when ${expression} = cast(${expression} as integer) then cast(cast(${expression} as integer) as text) else cast(${expression} as text) end)`;
}

/**
 * The track's JSON as JSON.stringify writes TrackRepository's LibraryTrack since this migration: 0003's fields, then
 * `loudness` (an object, or null until measured), and the effective `cueIn` / `cueOut` (the operator's, else the
 * detected one, else null).
 */
export const TRACK_JSON_SQLITE_0005 = `json_object(
  'id', id, 'title', title, 'artist', artist, 'album', album, 'genre', genre,
  'tags', case when json_valid(tags) and json_type(tags) = 'array' then json(tags) else json_array() end,
  'path', path,
  'duration', ${jsonNumber('duration')},
  'addedAt', added_at,
  'loudness', json(case when loudness_integrated_lufs is null then null else json_object(
    'integratedLufs', ${jsonNumber('loudness_integrated_lufs')},
    'rangeLu', ${jsonNumber('coalesce(loudness_range_lu, 0)')},
    'truePeakDbtp', ${jsonNumber('coalesce(loudness_true_peak_dbtp, 0)')}) end),
  'cueIn', ${jsonNumber('coalesce(cue_in_operator, cue_in_detected)')},
  'cueOut', ${jsonNumber('coalesce(cue_out_operator, cue_out_detected)')})`;

const JSON_COLUMNS_0003 = ['id', 'title', 'artist', 'album', 'genre', 'tags', 'path', 'duration', 'added_at'];
const ALL_JSON_COLUMNS = [
  ...JSON_COLUMNS_0003,
  'loudness_integrated_lufs',
  'loudness_range_lu',
  'loudness_true_peak_dbtp',
  'cue_in_detected',
  'cue_out_detected',
  'cue_in_operator',
  'cue_out_operator',
];

/** The two triggers of 0003 that write `snapshot_json`, made again with `json`, and every row's JSON written again. */
function sqliteTriggers(json: string, columns: string[]): string[] {
  return [
    `DROP TRIGGER tracks_search_insert`,
    `DROP TRIGGER tracks_json_update`,
    `CREATE TRIGGER tracks_search_insert AFTER INSERT ON tracks BEGIN
       INSERT INTO tracks_search (search_text) VALUES (new.search_text);
       UPDATE tracks SET search_rowid = last_insert_rowid(), snapshot_json = ${json} WHERE rowid = new.rowid;
     END`,
    `CREATE TRIGGER tracks_json_update AFTER UPDATE OF ${columns.join(', ')} ON tracks BEGIN
       UPDATE tracks SET snapshot_json = ${json} WHERE rowid = new.rowid;
     END`,
    `UPDATE tracks SET snapshot_json = ${json}`,
  ];
}
