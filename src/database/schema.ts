/**
 * The database's tables as Kysely sees them. Column names are snake_case, as both SQLite and PostgreSQL
 * keep them; times are ISO-8601 UTC strings (`toISOString()`), which sort as they compare in both.
 */
export interface WaveDatabase {
  tracks: TracksTable;
  play_history: PlayHistoryTable;
  wave_meta: WaveMetaTable;
  library_state: LibraryStateTable;
  playlists: PlaylistsTable;
  playlist_tracks: PlaylistTracksTable;
  schedule_entries: ScheduleEntriesTable;
  queue_items: QueueItemsTable;
  programme_state: ProgrammeStateTable;
  programme_settings: ProgrammeSettingsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export interface TracksTable {
  id: string;
  /** Play order: the playlist plays tracks by ascending position (ties by id). */
  position: number;
  title: string;
  artist: string;
  album: string;
  genre: string;
  /** JSON array of strings. */
  tags: string;
  /** Absolute, or relative to `DATA_DIR/tracks`. */
  path: string;
  /** Seconds, from ffprobe. */
  duration: number;
  added_at: string;
  /** Bytes and modification time of the file when it was read: a folder scan skips a file it already has unchanged. */
  file_size: number | null;
  file_mtime_ms: number | null;
  /** Lower-case title, artist, album and genre, one per line: what search matches. */
  search_text: string;
  /** The loudness analysis (migration 0005): EBU R128 integrated loudness (LUFS, to 0.01), range (LU), true peak (dBTP). */
  loudness_integrated_lufs: number | null;
  loudness_range_lu: number | null;
  loudness_true_peak_dbtp: number | null;
  /** When the analysis last ran (null: to be measured); `analysis_error` its failure's code, null when it succeeded. */
  analysed_at: string | null;
  analysis_error: string | null;
  /** Seconds (to 0.001) where the leading silence ends and the trailing one starts; null: none found. */
  cue_in_detected: number | null;
  cue_out_detected: number | null;
  /** dBFS: the silence threshold the detection used (another one set since: the track is analysed again). */
  cue_threshold_db: number | null;
  /** The operator's own cues (seconds), which win over the detected ones. */
  cue_in_operator: number | null;
  cue_out_operator: number | null;
  // SQLite only (migration 0003), kept by triggers and left out here: `search_rowid`, the track's row in the
  // `tracks_search` full-text index, and `snapshot_json`, the track as `audio-tracks.json` holds it. Beside the table:
  // `tracks_search` and `library_changes` (positions changed, for the snapshot), queried with raw SQL.
}

export interface PlayHistoryTable {
  /** Derived from (started_at, source, track_id), so the same fact written twice is one row (PlayHistoryRepository). */
  id: string;
  started_at: string;
  /** Null while it is on the air (rows a previous run left open are closed at boot). */
  ended_at: string | null;
  /** Why it played: `playlist`, `request`, `live` (a DJ), `radio` (a radio URL). */
  source: string;
  track_id: string | null;
  title: string;
  artist: string;
  /**
   * The playlist the track played from (migration 0004), null when none (radio, live, the library fallback, rows
   * from before programming). Optional here: PlayHistoryRepository does not write it yet.
   */
  playlist_id?: string | null;
}

/** Small facts about the database itself (e.g. when `audio-tracks.json` was imported). */
export interface WaveMetaTable {
  key: string;
  value: string;
}

/** One row (id 1): `version` goes up with every change to `tracks` (triggers of migration 0003). */
export interface LibraryStateTable {
  id: number;
  /** PostgreSQL's bigint comes back as a string: read it with Number(). */
  version: number | string;
}

/** A playlist (migration 0004); the fields of other kinds than its own keep their defaults (ProgrammeModule). */
export interface PlaylistsTable {
  id: string;
  name: string;
  /** `rotation`, `ordered`, `jingle`, `hourly` (PLAYLIST_KINDS). */
  kind: string;
  /** 0 or 1. */
  enabled: number;
  weight: number;
  artist_separation: number;
  every_tracks: number | null;
  every_minutes: number | null;
  minute: number | null;
  created_at: string;
  updated_at: string;
}

/** A track in a playlist, once per playlist; `position` orders them (gaps allowed). */
export interface PlaylistTracksTable {
  playlist_id: string;
  track_id: string;
  position: number;
}

export interface ScheduleEntriesTable {
  id: string;
  playlist_id: string;
  /** JSON array of ISO weekdays (1 Monday … 7 Sunday). */
  days: string;
  /** Local `HH:MM` or `HH:MM:SS`. */
  start_time: string;
  end_time: string;
  /** Local `YYYY-MM-DD`, inclusive; null: no bound. */
  start_date: string | null;
  end_date: string | null;
  priority: number;
  created_at: string;
}

/** A request; `position` orders the queue (gaps allowed). */
export interface QueueItemsTable {
  id: string;
  track_id: string;
  position: number;
  added_at: string;
}

/** One row (id 1), once the decider first saved: its ProgrammeState as JSON. */
export interface ProgrammeStateTable {
  id: number;
  state_json: string;
  updated_at: string;
}

/** One row (id 1, made by migration 0004): the station's IANA time zone, which the schedule's local times are in. */
export interface ProgrammeSettingsTable {
  id: number;
  time_zone: string;
}

/** A webhook subscription (migration 0006); `events` a JSON array, `enabled` 0 or 1. */
export interface WebhooksTable {
  id: string;
  url: string;
  description: string;
  events: string;
  secret: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** One event for one webhook; `seq` orders a webhook's deliveries; times in ms are bigint (strings from PostgreSQL). */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  seq: number | string | bigint;
  event_type: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | string | bigint;
  lease_until: number | string | bigint;
  last_attempt_at: string | null;
  response_status: number | null;
  error: string | null;
  created_at: string;
  delivered_at: string | null;
}
