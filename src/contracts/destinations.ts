/**
 * Simulcast destinations: where the station's one encode is pushed, each over its own RTMP(S) connection. Shared by
 * Wave (the API, status, metrics, webhooks) and the Telegram daemon (which pushes). No type here carries a stream key.
 */

/** The Telegram channel of the Telegram config, always listed first; it is edited through that config. */
export const TELEGRAM_DESTINATION_ID = 'telegram';
/** The name the Telegram config's channel shows under. */
export const TELEGRAM_DESTINATION_NAME = 'Telegram';

/**
 * What a destination's connection is doing:
 * - `connecting`: first attempt (or after it was enabled/changed) under way;
 * - `live`: the ingest accepted the publish and takes the stream;
 * - `retrying`: the connection failed or dropped; the next attempt is due after a backoff (1 s → 30 s);
 * - `failed`: it failed so often in a row that it is retried only every 30 s (see `lastError`); still retried;
 * - `disabled`: not pushed to (disabled by the operator, or the daemon does not run).
 */
export type DestinationState = 'connecting' | 'live' | 'retrying' | 'failed' | 'disabled';
export const DESTINATION_STATES: readonly DestinationState[] = ['connecting', 'live', 'retrying', 'failed', 'disabled'];

/** Failed attempts in a row after which a destination shows `failed` rather than `retrying`. */
export const DESTINATION_FAILED_AFTER = 5;

export interface DestinationError {
  /** Without the key or any URL credentials. */
  message: string;
  /** Stable code where one applies: `publish_refused` (the ingest refused the key or app), `unreachable`, `stalled`, `timeout`, `outbound_refused`, `connection_lost`. */
  code: string | null;
  at: string;
}

/** One destination's connection, as the daemon reports it (`destination-state`, and in every `stats`). */
export interface DestinationConnection {
  id: string;
  state: DestinationState;
  /** Failed attempts since it was last live (0 while live). */
  attempt: number;
  /** When it entered `state` (ISO). */
  since: string;
  /** Seconds the current connection has been live (0 unless `live`). */
  uptimeSec: number;
  /** Bitrate sent over the last stats period (kbit/s; 0 unless `live`). */
  bitrateKbps: number;
  /** Bytes pushed to it since the daemon started. */
  bytesSent: number;
  /** Times it was reconnected after being live or after a failed attempt, since the daemon started. */
  reconnects: number;
  /** Delay before the next attempt (only when `retrying`/`failed`). */
  retryInMs?: number;
  lastError: DestinationError | null;
  /**
   * Set by Wave (never by the daemon) on a `disabled` connection it made up itself: why nothing is pushed there, e.g.
   * `disabled by the operator` or `the Telegram stream daemon does not run`.
   */
  reason?: string;
}

/** A destination as the API shows it: its settings (the key masked) and its connection. */
export interface DestinationView {
  id: string;
  /** `telegram` for the Telegram config's channel, `rtmp` for the others. */
  kind: 'telegram' | 'rtmp';
  name: string;
  /** rtmp:// or rtmps:// URL, without credentials and without the key. */
  url: string;
  /** The stream key masked (e.g. `••••••3f9a`), or null when none is set. */
  streamKey: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  connection: DestinationConnection;
}

/** A destination in the streaming status (`GET /api/streaming/status`, the `/admin` `status` push): no URL, no key. */
export interface DestinationStatus {
  id: string;
  kind: DestinationView['kind'];
  name: string;
  enabled: boolean;
  connection: DestinationConnection;
}
