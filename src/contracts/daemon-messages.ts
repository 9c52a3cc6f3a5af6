/**
 * The contract between the Telegram daemon (PM2 app `telegram-stream`) and Wave.
 *
 * Daemon → Wave: `process.send({ type: 'process:msg', data: DaemonMessage })`, read in Wave from PM2's
 * bus: `bus.on('process:msg', (p) => p.process.name === 'telegram-stream' && handle(p.data))`.
 * Wave → daemon: `pm2.sendDataToProcessId(pmId, { type: 'process:msg', topic: 'wave', data: DaemonCommand })`,
 * received by the daemon on `process.on('message')`.
 *
 * Times are ISO-8601 strings. `at`/`startedAt`/`endedAt` are when the audio is heard at the ingest
 * (the daemon accounts for its pipe and encoder lead), not when it was decoded.
 */

import { TRACK_REASONS, type TrackReason } from './socket-events.js';
import type { DestinationConnection, DestinationState } from './destinations.js';
import type { TrackLoudness } from './track-library.js';

export { TRACK_REASONS, type TrackReason };

export const DAEMON_PROCESS_NAME = 'telegram-stream';
export const DAEMON_MESSAGE_TYPE = 'process:msg';
export const DAEMON_COMMAND_TOPIC = 'wave';

export type DaemonSourceKind = 'playlist' | 'url' | 'rtmp' | 'silence';
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface DaemonTrack {
  id: string;
  title: string;
  artist: string;
  /** Seconds (from the library; 0 when unknown). */
  duration: number;
  /** Set when Wave's programme chose this play (a `set-upcoming` item); absent when the daemon fell back to its own library order. */
  play?: PlayRef;
}

/** Which of Wave's decisions a play is: echoed back by the daemon in `track-started` so Wave commits its rotation state. */
export interface PlayRef {
  /** Opaque, unique per decision. */
  itemId: string;
  reason: TrackReason;
  /** The playlist it came from; null for a request or the library fallback. */
  playlistId: string | null;
}

/** One item of the daemon's look-ahead, as Wave decided it. */
export interface UpcomingItem {
  play: PlayRef;
  track: Omit<DaemonTrack, 'play'>;
  /** Absolute, or relative to the tracks folder. */
  path: string;
  /** How to play the file: its measured loudness and cue points (absent: as it is, start to end). */
  sound?: TrackSound;
}

/** What the daemon needs of a track to play it at the station's loudness and without its silent ends. */
export interface TrackSound {
  loudness: TrackLoudness | null;
  /** Seconds into the file (see LibraryTrack.cueIn / cueOut); null: the file's start / end. */
  cueIn: number | null;
  cueOut: number | null;
}

/**
 * How the daemon shapes the sound: the Telegram config's sound settings (TelegramConfigDocument), read at start and
 * sent again with `set-sound` whenever they change, applied from the next track or switch on.
 */
export interface SoundSettings {
  /** Play every measured track at `loudnessTarget` (gain from its integrated loudness, a limiter at -1 dBTP). */
  normalize: boolean;
  /** LUFS, -23…-9. */
  loudnessTarget: number;
  /** Seconds two tracks overlap, 0…10 (0: back to back). */
  crossfadeSec: number;
  /** Also crossfade into and out of jingles and hourly IDs (false: they start and end clean). */
  crossfadeJingles: boolean;
  /** Leading and trailing audio below this level is skipped (dBFS, -80…-20); the analysis measures it. */
  silenceThresholdDb: number;
  /** Fade between the programme and a live source (a DJ, a radio URL) at each switch, ms, 0…5000. */
  liveFadeMs: number;
  /** A real-time loudness control on live and radio sources, towards `loudnessTarget`. */
  liveLoudness: boolean;
}

export interface DaemonStartedMessage {
  event: 'daemon-started';
  pid: number;
  at: string;
  source: DaemonSourceKind;
}

export interface TrackStartedMessage {
  event: 'track-started';
  track: DaemonTrack;
  startedAt: string;
}

export interface TrackEndedMessage {
  event: 'track-ended';
  track: DaemonTrack;
  endedAt: string;
  /**
   * `finished`: played to its end; `interrupted`: another source took the air, or the daemon stopped; `skipped`: a
   * `skip` command ended it (the next track started at once).
   */
  reason: 'finished' | 'interrupted' | 'skipped';
}

/**
 * The daemon's answer to `set-upcoming`: the programme's plays it started since its previous answer (oldest first,
 * at most 20: the newest), so a Wave that was away while they started still commits them, and what it holds now.
 * A play counts as started once its first PCM went on the air, so it may be listed a moment before its
 * `track-started` (sent when it is heard; `startedAt` is that time): every item Wave sent is either started, held, or
 * gone (replaced, or reported `track_unplayable`).
 */
export interface UpcomingAcceptedMessage {
  event: 'upcoming-accepted';
  started: Array<PlayRef & { trackId: string; startedAt: string }>;
  /** Item ids of the look-ahead the daemon now holds, in play order. */
  holding: string[];
  at: string;
}

/** What is on air changed (playlist ↔ radio URL ↔ live relay, or silence when nothing can play). */
export interface SourceChangedMessage {
  event: 'source-changed';
  source: DaemonSourceKind;
  /** The source without credentials, e.g. `https://radio.example/stream`. */
  label: string;
  at: string;
}

export interface ConnectionMessage {
  event: 'connection';
  state: ConnectionState;
  /** Reconnect attempt number (1 for the first retry); 0 for the first connection. */
  attempt: number;
  /** How long the daemon waits before this attempt (only when `reconnecting`). */
  delayMs?: number;
  /** Why the previous connection ended (only when `reconnecting`). */
  reason?: string;
  /** That reason as a code, where one applies (e.g. `outbound_refused`). */
  reasonCode?: string;
  at: string;
}

export interface StatsMessage {
  event: 'stats';
  /** Output bitrate ffmpeg reports for the current connection. */
  bitrateKbps: number;
  /** Bytes pushed to the ingest over all connections since the daemon started. */
  bytesSent: number;
  /** Seconds since the daemon started. */
  uptimeSec: number;
  /** Seconds the current connection has been up (0 while not connected). */
  connectedSec: number;
  connected: boolean;
  reconnects: number;
  /** Silence the feeder wrote because the source had nothing ready (ms, since the daemon started). */
  silenceMs: number;
  /** Every destination's connection (the Telegram one included, id `telegram`). */
  destinations: DestinationConnection[];
  /**
   * What the ingest hears now, as the last `source-changed` said (absent before the first): a Wave that takes the
   * lead while the daemon runs learns it here, without waiting for the next change.
   */
  onAir?: { source: DaemonSourceKind; label: string };
  at: string;
}

/** A destination's connection changed state (also sent for each destination right after `daemon-started`). */
export interface DestinationStateMessage {
  event: 'destination-state';
  destination: DestinationConnection;
  /** Its state before this change (null for the first report). */
  previous: DestinationState | null;
  at: string;
}

export interface DaemonErrorMessage {
  event: 'error';
  /** Stable machine-readable code, e.g. `encoder_failed`, `track_unplayable`, `source_failed`, `outbound_refused`. */
  code: string;
  message: string;
  at: string;
}

export interface DaemonStoppedMessage {
  event: 'daemon-stopped';
  reason: string;
  at: string;
}

export type DaemonMessage =
  | DaemonStartedMessage
  | TrackStartedMessage
  | TrackEndedMessage
  | SourceChangedMessage
  | ConnectionMessage
  | StatsMessage
  | DaemonErrorMessage
  | DaemonStoppedMessage
  | UpcomingAcceptedMessage
  | DestinationStateMessage;

/** Wave → daemon. */
export type DaemonCommand =
  /**
   * Re-read `audio-tracks.json` now (the daemon also re-reads it whenever it picks its next library track). A library
   * track decoding as the next is picked again from the fresh list; a look-ahead item stays.
   */
  | { command: 'reload-playlist' }
  /**
   * Re-read `stream-destinations.json` (and the Telegram config's channel) now: destinations added or enabled start
   * connecting, removed or disabled ones are closed, changed ones (URL or key) reconnect; the others are not touched.
   * Keys travel in the file (mode 0600), never in a command.
   */
  | { command: 'reload-destinations' }
  /** Put another source on the air on the same connection; `playlist` goes back to the playlist. */
  | { command: 'switch-source'; source: 'playlist' }
  | { command: 'switch-source'; source: 'url'; url: string }
  /**
   * `ingest: true` marks Wave's own RTMP ingest: a host Wave chose rather than one configured (so not held to
   * WAVE_OUTBOUND_ALLOW), and a stream named by its publisherId, not a key, so ffmpeg may read it directly.
   */
  | { command: 'switch-source'; source: 'rtmp'; url: string; ingest?: boolean }
  /**
   * What plays after the current track, in order (Wave's programme; the next one or two, at most 10). Replaces the
   * look-ahead the daemon held: when the next track it already decodes is the new first item (same itemId, or the
   * same track and path) that decoder is kept, taking the item's PlayRef. An item that already went on the air is left
   * out (Wave had not heard it start yet). When the look-ahead runs out (Wave away), the daemon goes on in its own
   * library order, so the air is never silent. Always answered by `upcoming-accepted`; a malformed packet by an
   * `error` with code `invalid_command` instead, the look-ahead unchanged.
   */
  | { command: 'set-upcoming'; items: UpcomingItem[] }
  /**
   * End the current track now (`track-ended` with reason `skipped`): the next, already decoded, starts at once on the
   * same connection; one not decoded yet starts as soon as it has PCM (silence until then). While a radio URL or a
   * live relay is on the air there is no track to skip: the daemon does nothing and answers with an `error`, code
   * `skip_not_playlist`.
   */
  | { command: 'skip' }
  /**
   * New sound settings (the config changed while the daemon runs): loudness applies from the next track decoded (the
   * next one is decoded again), the crossfade from the next track change, the live fade and loudness control from the
   * next switch. A malformed packet is answered by an `error` with code `invalid_command`, the settings unchanged.
   */
  | { command: 'set-sound'; sound: SoundSettings };

/** Narrowing for what arrives on `process.on('message')` (a PM2 packet, or a plain command in tests). */
export function commandFromPacket(packet: unknown): DaemonCommand | null {
  const data = packet && typeof packet === 'object' && 'data' in packet ? packet.data : packet;
  if (!data || typeof data !== 'object' || typeof (data as { command?: unknown }).command !== 'string') return null;
  return data as DaemonCommand;
}
