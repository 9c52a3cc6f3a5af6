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
  /** `finished`: played to its end; `interrupted`: another source took the air, or the daemon stopped. */
  reason: 'finished' | 'interrupted';
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
  | DaemonStoppedMessage;

/** Wave → daemon. */
export type DaemonCommand =
  /** Re-read `audio-tracks.json` now (the daemon also re-reads it at every track boundary). */
  | { command: 'reload-playlist' }
  /** Put another source on the air on the same connection; `playlist` goes back to the playlist. */
  | { command: 'switch-source'; source: 'playlist' }
  | { command: 'switch-source'; source: 'url'; url: string }
  /**
   * `ingest: true` marks Wave's own RTMP ingest: a host Wave chose rather than one configured (so not held to
   * WAVE_OUTBOUND_ALLOW), and a stream named by its publisherId, not a key, so ffmpeg may read it directly.
   */
  | { command: 'switch-source'; source: 'rtmp'; url: string; ingest?: boolean };

/** Narrowing for what arrives on `process.on('message')` (a PM2 packet, or a plain command in tests). */
export function commandFromPacket(packet: unknown): DaemonCommand | null {
  const data = packet && typeof packet === 'object' && 'data' in packet ? packet.data : packet;
  if (!data || typeof data !== 'object' || typeof (data as { command?: unknown }).command !== 'string') return null;
  return data as DaemonCommand;
}
