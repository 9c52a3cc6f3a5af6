/**
 * Wave's Socket.IO contract: namespaces, event names and payloads, for the server and for clients.
 * This file imports only ./destinations.js (which imports nothing), so a client can copy or import the two as they are:
 *
 *   import { io, Socket } from 'socket.io-client';
 *   import type { AdminServerToClientEvents, ClientToServerEvents } from 'wave/dist/contracts/socket-events.js';
 *   const admin: Socket<AdminServerToClientEvents, ClientToServerEvents> =
 *     io('http://radio:6971/admin', { auth: { token } });
 *
 * Every payload is secret-free: stream keys and tokens never travel over a socket.
 */

import type { DestinationConnection, DestinationState, DestinationStatus } from './destinations.js';

/**
 * Why a library track plays: `rotation` (a rotation playlist), `playlist` (an ordered playlist, or the library in
 * its order when no playlist applies), `jingle`, `hourly` (a station ID at minute M of the hour), `request` (the queue).
 */
export const TRACK_REASONS = ['rotation', 'playlist', 'jingle', 'hourly', 'request'] as const;
export type TrackReason = (typeof TRACK_REASONS)[number];

export const SOCKET_NAMESPACES = {
  /** Listener widgets: no token, public facts only. */
  public: '/',
  /** The admin UI: `auth: { token }` in the handshake when WAVE_API_TOKEN is set. */
  admin: '/admin',
} as const;

/** Server → client event names. */
export const SERVER_EVENTS = {
  /** A status snapshot: sent on connect and whenever the status changes. */
  status: 'status',
  /** Now playing changed. */
  trackChanged: 'track:changed',
  /** Admin only: an error or warning raised by a service or the Telegram daemon. */
  error: 'error',
  /** Admin only: service started/stopped, config updated, publisher connected, … */
  system: 'system',
  /** Admin only, opt-in: one log line, sent to the sockets that joined `log:<service>`. */
  log: 'log',
  /** Admin only: a folder import's counts while it runs (`POST /api/tracks/scan`), at most ~4 a second per scan. */
  scanProgress: 'scan:progress',
  /** Admin only: a folder import ended (`done` or `failed`), with its full report. */
  scanFinished: 'scan:finished',
  /** Admin only: the loudness analysis' counts while it measures (`GET /api/tracks/analysis`), at most ~2 a second, and once when it goes idle. */
  analysisProgress: 'analysis:progress',
  /** Admin only: playlists were created, changed, removed, or their tracks changed (`GET /api/playlists/:id` for what they are now). */
  playlistsUpdated: 'playlists:updated',
  /** Admin only: the weekly schedule or the station's time zone changed (`GET /api/schedule`). */
  scheduleUpdated: 'schedule:updated',
  /** Both namespaces: the request queue changed (a request added, removed, or started playing); `GET /api/queue`. */
  queueUpdated: 'queue:updated',
  /** Admin only: a simulcast destination's connection changed state (`GET /api/stream/destinations/:id`). */
  destinationState: 'destination:state',
  /** Admin only: a destination was added, changed or deleted through /api/stream/destinations. */
  destinationsUpdated: 'destinations:updated',
} as const;

/** Client → server requests; each answers through the acknowledgement callback. */
export const CLIENT_EVENTS = {
  statusGet: 'status:get',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
} as const;

/** Rooms an admin client may join: the live tail of one service's log (`access`: one line per HTTP request). */
export const LOG_SERVICES = ['wave', 'telegram', 'access'] as const;
export type LogService = (typeof LOG_SERVICES)[number];
export const LOG_ROOMS = LOG_SERVICES.map((service) => `log:${service}` as const);
export type LogRoom = (typeof LOG_ROOMS)[number];

/**
 * What the Telegram stream plays now: the one shape of now playing, in every answer that carries it
 * (`GET /api/tracks/now-playing`, `/api/stream/telegram/status`, `/api/streaming/status`, both `status` events).
 */
export interface NowPlaying {
  trackId: string;
  title: string;
  artist: string;
  /** Seconds, as the daemon read it from the library; null once the track has left the library. */
  duration: number | null;
  /** When the track's first audio reached the ingest (ISO-8601). */
  startedAt: string;
  /** Why it plays (null when the daemon chose it itself, in library order, while Wave's programme was not there). */
  reason: TrackReason | null;
  /** The playlist it came from (null for a request or the library). */
  playlistId: string | null;
  /** What the programme has decided to play after it (null when nothing is decided yet). */
  next: UpNext | null;
}

/** The track the programme plays next. */
export interface UpNext {
  trackId: string;
  title: string;
  artist: string;
  duration: number;
  reason: TrackReason;
  playlistId: string | null;
}

/** What a listener widget may know: on air or not, live or playlist, what plays, how many listen. */
export interface PublicStatus {
  /** The Telegram stream is connected to its ingest. */
  onAir: boolean;
  /** A DJ is publishing to the RTMP ingest. */
  live: boolean;
  nowPlaying: NowPlaying | null;
  /** Socket clients connected to this Wave instance's public namespace. */
  listeners: number;
  updatedAt: string;
}

/**
 * The ingest in the status vocabulary: `starting` while Docker restarts the container, `unknown` when the
 * state could not be read (its outside system is unreachable). Docker's own word for the container is
 * `RtmpContainerState` (GET /api/stream/rtmp/status).
 */
export type RtmpState = 'running' | 'stopped' | 'starting' | 'unknown';

export interface RtmpStatusView {
  state: RtmpState;
  /** Publishers (DJs) currently connected to the ingest. */
  publishers: number;
  /** Host port the ingest listens on, when running. */
  port: number | null;
  /** Why the state is what it is, when that is not obvious (never a secret). */
  detail: string | null;
}

export type TelegramState = 'online' | 'stopped' | 'starting' | 'errored' | 'unknown';
export type TelegramConnection = 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'unknown';

export interface TelegramStatusView {
  /** The PM2 process state of the daemon. */
  state: TelegramState;
  /** The daemon's connection to the Telegram ingest, as it last reported it. */
  connection: TelegramConnection;
  /** What is on air: `playlist`, `url`, `rtmp` (live relay), `silence`, or null when unknown. */
  source: string | null;
  reconnects: number;
  detail: string | null;
}

/** The admin view: every service's state, now playing, socket audience. */
/** The Wave instance that acts for the station (holds the leader lock), as it announced itself. */
export interface StationLeader {
  instanceId: string;
  /** Where the other instances reach its API (WAVE_ADVERTISE_URL). */
  url: string;
  /** When it took the lead (ISO 8601). */
  since: string;
}

export interface StreamingStatus {
  /** The instance that leads the station (it answers this status; null only while none does). */
  leader: StationLeader | null;
  rtmp: RtmpStatusView;
  telegram: TelegramStatusView;
  nowPlaying: NowPlaying | null;
  /** Where the stream is simulcast (Telegram first), each with its connection as the daemon last reported it. */
  destinations: DestinationStatus[];
  listeners: { public: number; admin: number };
  updatedAt: string;
}

/** `track:changed`: a track began (NowPlaying is what then plays; this is the event's own, older shape). */
export interface TrackChangedEvent {
  track: { id: string; title: string; artist: string; duration: number };
  startedAt: string;
  /** Why it plays (null: the daemon's own library order). */
  reason: TrackReason | null;
  playlistId: string | null;
  /** What plays after it, as decided when it started. */
  next: UpNext | null;
}

export type SystemEventType =
  | 'config.updated'
  | 'tracks.updated'
  | 'rtmp.started'
  | 'rtmp.stopped'
  | 'rtmp.publisher.connected'
  | 'rtmp.publisher.disconnected'
  | 'telegram.status'
  | 'telegram.source.changed'
  /** A simulcast destination went live (`details`: id, name, state, previous). */
  | 'destination.up'
  /** A simulcast destination that was live is not any more (retrying, failed or disabled; `details.lastError`). */
  | 'destination.down'
  /** The operator took a live DJ onto the air or released them, or the session an override named ended (`details.action`: take, release, none). */
  | 'telegram.live.override';

export interface SystemEvent {
  type: SystemEventType;
  /** One human sentence, e.g. "RTMP ingest started on port 1935". */
  message: string;
  /** Event facts (no secrets). */
  details: Record<string, unknown>;
  at: string;
}

export interface ErrorEvent {
  level: 'error' | 'warning';
  /** Which part raised it. */
  source: 'rtmp' | 'telegram' | 'wave';
  /** Stable machine-readable code, e.g. `encoder_failed`. */
  code: string;
  message: string;
  at: string;
}

export interface LogEvent {
  service: LogService;
  /** The line as written to the log file (redacted). */
  line: string;
}

/** A file a folder scan did not import, and why (`not audio (ffprobe)`, `EACCES: …`). */
export interface ScanProblem {
  /** The file's (or folder's) absolute path. */
  file: string;
  reason: string;
}

export type ScanState = 'running' | 'done' | 'failed';

/**
 * `scan:progress`: a folder import's counts so far. `found` counts the files the walk met (and the folders it left
 * out); each found item ends as one of `added`, `updated`, `unchanged`, `skipped` or `failedCount`, and
 * `processed` is their sum.
 */
export interface ScanProgress {
  id: string;
  state: ScanState;
  /** The folder's real path (links resolved). */
  path: string;
  found: number;
  processed: number;
  /** New audio files appended to the playlist. */
  added: number;
  /** Known files whose size or modification time changed: their tags were read again. */
  updated: number;
  /** Known files with the same size and modification time as when they were read. */
  unchanged: number;
  /** Left out by rule: hidden, not audio, not a regular file, a link to a folder or into the folder. */
  skipped: number;
  /** Could not be read (permissions, vanished, ffprobe timed out). */
  failedCount: number;
  startedAt: string;
  finishedAt: string | null;
}

/**
 * `analysis:progress` and `GET /api/tracks/analysis`: how much of the library the loudness analysis has measured at
 * the current silence threshold. `total` = `analysed` + `failed` + `pending`.
 */
export interface AnalysisProgress {
  total: number;
  /** Measured (loudness and cues) at the current threshold. */
  analysed: number;
  /** Whose analysis failed (silent, unreadable, timed out): measured again only when the file or the threshold changes. */
  failed: number;
  /** Still to be measured (new, changed file, or detected at another threshold). */
  pending: number;
  /** Whether the job is measuring now (one track at a time). */
  running: boolean;
  /** The track being measured, null when none. */
  currentTrackId: string | null;
  /** dBFS: the silence threshold cues are detected at (the Telegram config's `silenceThresholdDb`). */
  thresholdDb: number;
  at: string;
}

/** `scan:finished` and `GET /api/tracks/scan/:id`: the counts and the first problems. */
export interface ScanJob extends ScanProgress {
  /** The first skipped files (SCAN_LISTED_PROBLEMS), with the reason; `skipped` counts them all. */
  skippedFiles: ScanProblem[];
  /** The first files that failed (SCAN_LISTED_PROBLEMS), with the reason; `failedCount` counts them all. */
  failed: ScanProblem[];
  /** Why the scan as a whole failed (state `failed`), else null. */
  error: string | null;
}

/** How many skipped and failed files a scan lists (each); the counts go on. */
export const SCAN_LISTED_PROBLEMS = 100;

/** `playlists:updated`: which playlists changed and how (`tracks`: their tracks were replaced, added or removed). */
export interface PlaylistsUpdatedEvent {
  reason: 'created' | 'updated' | 'deleted' | 'tracks';
  playlistIds: string[];
  at: string;
}

/** `schedule:updated`: entries created, changed or removed (a removed playlist takes its entries), or the time zone set (`entryIds` empty). */
export interface ScheduleUpdatedEvent {
  reason: 'created' | 'updated' | 'deleted' | 'time_zone';
  entryIds: string[];
  at: string;
}

/** `queue:updated`: the queue's length after the change. */
export interface QueueUpdatedEvent {
  reason: 'added' | 'removed' | 'started';
  count: number;
  at: string;
}

/** `destination:state`: a simulcast destination's connection changed state (no key, no URL credentials). */
export interface DestinationStateEvent {
  destination: DestinationConnection;
  name: string;
  previous: DestinationState | null;
  at: string;
}

/** `destinations:updated`: a destination was added, changed (settings or enabled) or deleted. */
export interface DestinationsUpdatedEvent {
  action: 'added' | 'updated' | 'deleted';
  id: string;
  at: string;
}

export interface PublicServerToClientEvents {
  status: (status: PublicStatus) => void;
  'track:changed': (event: TrackChangedEvent) => void;
  'queue:updated': (event: QueueUpdatedEvent) => void;
}

export interface AdminServerToClientEvents {
  status: (status: StreamingStatus) => void;
  'track:changed': (event: TrackChangedEvent) => void;
  error: (event: ErrorEvent) => void;
  system: (event: SystemEvent) => void;
  log: (event: LogEvent) => void;
  'scan:progress': (event: ScanProgress) => void;
  'scan:finished': (job: ScanJob) => void;
  'analysis:progress': (event: AnalysisProgress) => void;
  'playlists:updated': (event: PlaylistsUpdatedEvent) => void;
  'schedule:updated': (event: ScheduleUpdatedEvent) => void;
  'queue:updated': (event: QueueUpdatedEvent) => void;
  'destination:state': (event: DestinationStateEvent) => void;
  'destinations:updated': (event: DestinationsUpdatedEvent) => void;
}

/** The acknowledgement of `subscribe`/`unsubscribe`: the rooms the socket is in afterwards. */
export type SubscriptionAck = { ok: true; rooms: string[] } | { ok: false; error: string };

export interface ClientToServerEvents {
  /** Answers with the namespace's status (PublicStatus on `/`, StreamingStatus on `/admin`). */
  'status:get': (ack: (status: PublicStatus | StreamingStatus) => void) => void;
  /** Admin only: join rooms (`log:wave`, `log:telegram`, `log:access`). */
  subscribe: (request: { rooms: string[] }, ack: (result: SubscriptionAck) => void) => void;
  unsubscribe: (request: { rooms: string[] }, ack: (result: SubscriptionAck) => void) => void;
}
