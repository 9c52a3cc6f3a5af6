/**
 * The programme's facts as the decider reads them: playlists, the weekly schedule, the request queue and the
 * rotation state. Repositories map rows to these; the REST DTOs implement the public ones.
 */
import type { TrackReason } from './daemon-messages.js';

export const PLAYLIST_KINDS = ['rotation', 'ordered', 'jingle', 'hourly'] as const;
export type PlaylistKind = (typeof PLAYLIST_KINDS)[number];

export interface Playlist {
  id: string;
  name: string;
  kind: PlaylistKind;
  /** A disabled playlist is never chosen (its schedule entries stay, inactive). */
  enabled: boolean;
  /** rotation: its share among the rotations of the general rotation (1–25). */
  weight: number;
  /** rotation: no artist plays twice within this many tracks (0: no rule). */
  artistSeparation: number;
  /** jingle: one jingle after every this many tracks (null: not by tracks). */
  everyTracks: number | null;
  /** jingle: one jingle when this many minutes passed since the last (null: not by time). */
  everyMinutes: number | null;
  /** hourly: the minute of each hour (0–59) from which one of its tracks plays, once per hour. */
  minute: number | null;
  /** Its tracks, in its order (ordered, jingle and hourly play them in this order). */
  trackIds: string[];
  createdAt: string;
  updatedAt: string;
}

/** ISO weekdays: 1 Monday … 7 Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ScheduleEntry {
  id: string;
  playlistId: string;
  /** The days it starts on (an entry past midnight goes on into the next day). */
  days: IsoWeekday[];
  /** Local time of the station's time zone, `HH:MM` or `HH:MM:SS`; `end` ≤ `start` runs past midnight. */
  start: string;
  end: string;
  /** Local dates `YYYY-MM-DD` (inclusive) of the days it may start on; null: no bound. */
  startDate: string | null;
  endDate: string | null;
  /** Higher wins where entries overlap; equal priorities may not overlap. */
  priority: number;
  createdAt: string;
}

export interface QueueItem {
  id: string;
  trackId: string;
  /** 0-based place in the queue. */
  position: number;
  addedAt: string;
}

/** Per playlist: where its rotation or order stands. */
export interface PlaylistCursor {
  /** rotation: shuffle cycle number (each cycle is a fresh order). */
  cycle: number;
  /** rotation: the shuffle key of the last track played in order this cycle (-1: none yet). */
  key: number;
  /** rotation: keys above `key` already played out of order this cycle (an artist rule made it skip ahead). */
  ahead: number[];
  /**
   * ordered / jingle / hourly: the last track played and its index then (to find the next after an edit).
   * rotation: the last track played from it (lastIndex unused), so a new cycle does not open with it.
   */
  lastTrackId: string | null;
  lastIndex: number;
}

/** Persisted after every play, so a restarted Wave goes on where the rotation was. */
export interface ProgrammeState {
  /** Mixed into every rotation's shuffle (fixed when the state is first made). */
  seed: number;
  cursors: Record<string, PlaylistCursor>;
  /** The library fallback's cursor (the whole library, in its order). */
  library: PlaylistCursor;
  /** Artists of the last tracks played (newest last), for the artist rule; at most 50 kept. */
  recentArtists: string[];
  /** jingle playlists: tracks played since its last jingle. */
  tracksSinceJingle: Record<string, number>;
  /** jingle playlists: when its last jingle started (epoch ms). */
  lastJingleAt: Record<string, number>;
  /** hourly playlists: the hour (epoch ms of its start) it last played in. */
  lastHourlyAt: Record<string, number>;
  /** General rotation: plays so far, to spread the weighted choice. */
  generalPlays: number;
  /** The last plays applied (item ids), so a report heard twice is applied once; at most 20. */
  appliedItemIds: string[];
}

/** What the decider chose. */
export interface Decision {
  trackId: string;
  reason: TrackReason;
  playlistId: string | null;
  /** Set for a request: the queue item it takes. */
  queueItemId: string | null;
  /** The schedule entry whose programme it belongs to, if any. */
  scheduleEntryId: string | null;
}

/** One decision of the look-ahead, under the id the daemon echoes back when it plays it. */
export interface PlannedItem extends Decision {
  itemId: string;
}

/** What `programme_state` holds: the state after every play so far, and the look-ahead decided from it. */
export interface StoredProgramme {
  state: ProgrammeState;
  planned: PlannedItem[];
}
