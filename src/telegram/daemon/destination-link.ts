import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { OutboundPolicy } from '../../common/outbound-policy.js';
import { redact } from '../../common/redaction.js';
import {
  DESTINATION_FAILED_AFTER,
  type DestinationConnection,
  type DestinationError,
  type DestinationState,
} from '../../contracts/destinations.js';
import { Backoff } from './backoff.js';
import { encodeAmf0 } from './rtmp/amf0.js';
import { MessageType } from './rtmp/chunks.js';
import { type FlvTag, FlvTagType, isKeyframe, isStreamConfig } from './rtmp/flv.js';
import { PUBLISH_ACK_WINDOW, RtmpSession } from './rtmp/rtmp-session.js';

export interface IngestTarget {
  host: string;
  port: number;
}

/** The RTMP client a link publishes with (RtmpSession; a fake EventEmitter in unit specs). */
export type PublishSession = Pick<
  RtmpSession,
  | 'isReady'
  | 'bytesSent'
  | 'bufferedBytes'
  | 'bytesAcknowledged'
  | 'acknowledgementWindow'
  | 'start'
  | 'send'
  | 'cork'
  | 'uncork'
  | 'close'
  | 'destroy'
  | 'once'
>;

export interface DestinationSettings {
  id: string;
  /** For logs: no key, no credentials. */
  label: string;
  /** rtmp(s)://host/app/key — a secret, held by this process only. */
  publishUrl: string;
  target: IngestTarget;
}

export interface DestinationLinkOptions {
  settings: DestinationSettings;
  /** Where the connection may go (WAVE_OUTBOUND_ALLOW). */
  policy: OutboundPolicy | null;
  /** The encoder's current metadata and codec headers (sent first on every new connection). */
  streamConfig: () => FlvTag[];
  /** From connecting to the ingest accepting the publish; and the longest an ingest may leave data unsent. */
  stallTimeoutMs: number;
  /** Unsent bytes past which the ingest counts as stalled at once (else stallTimeoutMs of backlog). */
  maxBufferedBytes?: number;
  /** A connection live this long resets the backoff. */
  stableAfterMs?: number;
  backoff?: Backoff;
  /** Probe interval while waiting to reconnect. */
  probeIntervalMs?: number;
  now?: () => number;
  /** Wall clock for `since` and error times. */
  wallClock?: () => number;
  createSession?: (url: string, policy: OutboundPolicy | null, startTimeoutMs: number) => PublishSession;
  probe?: (target: IngestTarget) => Promise<boolean>;
}

export interface DestinationLinkEvents {
  state: [{ connection: DestinationConnection; previous: DestinationState | null }];
}

/**
 * One destination's connection: publishes the station's encode (the tags StationEncoder hands every link) to one
 * RTMP(S) ingest. On its own: it connects, goes live at the next keyframe, and when the ingest refuses, drops or
 * stalls it, retries with backoff (1 s → 30 s; at once when an unreachable ingest answers again) while every other
 * link streams on. It never holds the encoder back: a backlog it cannot send makes it reconnect, not wait.
 */
export class DestinationLink extends EventEmitter<DestinationLinkEvents> {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private readonly probe: (target: IngestTarget) => Promise<boolean>;
  private session: PublishSession | null = null;
  private state: DestinationState = 'disabled';
  private reported = false;
  private since: number;
  private liveAt: number | null = null;
  private waitingForKeyframe = true;
  /** Bytes the socket had sent on (bytes handed to it less those still waiting), and when that last grew. */
  private flushed = { bytes: 0, at: 0 };
  private waitTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private sentBefore = 0;
  private reconnectCount = 0;
  private failedAttempts = 0;
  private retryInMs: number | undefined;
  private lastError: DestinationError | null = null;
  private bitrate = { at: 0, bytes: 0, kbps: 0 };

  constructor(private readonly options: DestinationLinkOptions) {
    super();
    this.backoff = options.backoff ?? new Backoff();
    this.now = options.now ?? (() => performance.now());
    this.wallClock = options.wallClock ?? (() => Date.now());
    this.probe = options.probe ?? ((target) => tcpProbe(target, options.policy));
    this.since = this.wallClock();
  }

  get id(): string {
    return this.options.settings.id;
  }

  get settings(): DestinationSettings {
    return this.options.settings;
  }

  get live(): boolean {
    return this.state === 'live';
  }

  get liveForMs(): number {
    return this.liveAt === null ? 0 : this.now() - this.liveAt;
  }

  get bytesSent(): number {
    return this.sentBefore + (this.session?.bytesSent ?? 0);
  }

  get reconnects(): number {
    return this.reconnectCount;
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  /** Ends the publish as ffmpeg does (FCUnpublish, deleteStream) and stops retrying. */
  close(): void {
    this.closed = true;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const session = this.session;
    this.session = null;
    if (session) {
      this.sentBefore += session.bytesSent;
      session.close();
    }
    this.liveAt = null;
    this.setState('disabled');
  }

  /** The encoder's newest tags: sent when live (frames from the first keyframe on), dropped otherwise. */
  push(tags: FlvTag[]): void {
    const session = this.session;
    if (!session?.isReady) return;
    session.cork();
    try {
      for (const tag of tags) {
        if (isStreamConfig(tag)) {
          send(session, tag);
          continue;
        }
        if (this.waitingForKeyframe) {
          if (tag.type !== FlvTagType.Video || !isKeyframe(tag)) continue;
          this.waitingForKeyframe = false;
        }
        send(session, tag);
      }
    } finally {
      session.uncork();
    }
    this.checkBacklog(session);
  }

  /** What the link reports (destination-state, stats). */
  connection(): DestinationConnection {
    const now = this.now();
    if (now - this.bitrate.at >= 1000) {
      const bytes = this.bytesSent;
      this.bitrate = {
        at: now,
        bytes,
        kbps: this.bitrate.at ? Math.round(((bytes - this.bitrate.bytes) * 8) / (now - this.bitrate.at)) : 0,
      };
    }
    return {
      id: this.id,
      state: this.state,
      attempt: this.failedAttempts,
      since: new Date(this.since).toISOString(),
      uptimeSec: Math.round(this.liveForMs / 1000),
      bitrateKbps: this.live ? this.bitrate.kbps : 0,
      bytesSent: this.bytesSent,
      reconnects: this.reconnectCount,
      ...(this.retryInMs !== undefined && (this.state === 'retrying' || this.state === 'failed') ? { retryInMs: this.retryInMs } : {}),
      lastError: this.lastError,
    };
  }

  private connect(): void {
    if (this.closed) return;
    this.retryInMs = undefined;
    this.setState('connecting');
    this.waitingForKeyframe = true;
    this.flushed = { bytes: 0, at: this.now() };
    const { settings, policy, stallTimeoutMs } = this.options;
    const createSession =
      this.options.createSession ?? ((url, p, timeout) => new RtmpSession({ url, mode: 'publish', policy: p, startTimeoutMs: timeout }));
    const session = createSession(settings.publishUrl, policy, stallTimeoutMs);
    this.session = session;
    session.once('ready', () => {
      if (this.session !== session) return;
      // Metadata and codec headers together, as ffmpeg sends them (nginx-rtmp shows a stream's codecs from both).
      session.cork();
      for (const tag of this.options.streamConfig()) send(session, tag);
      session.uncork();
      this.liveAt = this.now();
      this.failedAttempts = 0;
      this.setState('live');
    });
    session.once('closed', ({ error }) => {
      if (this.session !== session) return;
      this.session = null;
      this.sentBefore += session.bytesSent;
      const heldMs = this.liveForMs;
      const wasLive = this.liveAt !== null;
      this.liveAt = null;
      if (this.closed) return;
      if (heldMs >= (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
      this.lastError = {
        message: redact(error?.message ?? 'the ingest closed the connection'),
        code: errorCode(error, wasLive),
        at: new Date(this.wallClock()).toISOString(),
      };
      this.scheduleReconnect();
    });
    session.start();
  }

  /**
   * An ingest that takes none of the stream for the stall timeout is dropped and reconnected: one whose socket holds
   * data it does not send on, or (once it has acknowledged anything) one that acknowledges nothing more while more than
   * the window it was asked to acknowledge is outstanding (the socket stays open and the kernel buffers take it all).
   */
  private checkBacklog(session: PublishSession): void {
    const buffered = session.bufferedBytes;
    const acknowledged = session.bytesAcknowledged;
    const taken = acknowledged ?? session.bytesSent - buffered;
    const outstanding = session.bytesSent - taken;
    // Up to one of the server's acknowledgement windows (it may ignore the one asked of it) is in flight, and a bit.
    const window = session.acknowledgementWindow;
    const allowance = acknowledged === null || window === null ? 0 : 1.5 * Math.max(window, PUBLISH_ACK_WINDOW);
    const maxBuffered = this.options.maxBufferedBytes ?? 8 * 1024 * 1024;

    if (outstanding <= allowance || taken > this.flushed.bytes) {
      this.flushed = { bytes: taken, at: this.now() };
      if (buffered <= maxBuffered) return;
    }
    const idleMs = this.now() - this.flushed.at;
    const tooMuch = buffered > maxBuffered;
    if (idleMs <= this.options.stallTimeoutMs && !tooMuch) return;
    this.session = null;
    this.sentBefore += session.bytesSent;
    this.liveAt = null;
    session.destroy();
    this.lastError = {
      message: `the ingest took nothing for ${Math.round(idleMs / 1000)} s (${Math.round(outstanding / 1024)} KiB outstanding)`,
      code: 'stalled',
      at: new Date(this.wallClock()).toISOString(),
    };
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMs = this.backoff.next();
    this.failedAttempts += 1;
    this.reconnectCount += 1;
    this.retryInMs = delayMs;
    this.setState(this.failedAttempts >= DESTINATION_FAILED_AFTER ? 'failed' : 'retrying');
    const due = this.now() + delayMs;
    const interval = this.options.probeIntervalMs ?? 1000;
    let sawUnreachable = false;
    // Wait out the delay, but retry at once when the ingest was unreachable and answers again.
    const step = async () => {
      this.waitTimer = null;
      if (this.closed) return;
      if (this.now() >= due) return this.connect();
      const reachable = await this.probe(this.options.settings.target);
      if (this.closed) return;
      if (!reachable) sawUnreachable = true;
      else if (sawUnreachable) return this.connect();
      this.waitTimer = setTimeout(() => void step(), Math.min(interval, Math.max(0, due - this.now())));
    };
    this.waitTimer = setTimeout(() => void step(), 0);
  }

  private setState(state: DestinationState): void {
    const previous = this.reported ? this.state : null;
    if (this.reported && state === this.state && state !== 'retrying' && state !== 'failed') return;
    this.state = state;
    this.reported = true;
    this.since = this.wallClock();
    this.emit('state', { connection: this.connection(), previous });
  }
}

/** FLV tag → RTMP message; metadata goes out as ffmpeg sends it: @setDataFrame("onMetaData", …). */
function send(session: PublishSession, tag: FlvTag): boolean {
  const payload = tag.type === FlvTagType.Script ? Buffer.concat([encodeAmf0('@setDataFrame'), tag.data]) : tag.data;
  const type = tag.type === FlvTagType.Script ? MessageType.DataAmf0 : tag.type;
  return session.send(type, tag.timestamp, payload);
}

/** A stable code for why a connection ended (DestinationError.code). */
export function errorCode(error: (Error & { code?: string }) | undefined, wasLive: boolean): string {
  const code = error?.code;
  if (code === 'ingest_refused') return 'publish_refused';
  if (code === 'outbound_refused') return 'outbound_refused';
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return 'unreachable';
  if (error && /no publish start within/.test(error.message)) return 'timeout';
  return wasLive ? 'connection_lost' : 'unreachable';
}

/** True when a TCP connection to the ingest opens within 2 s; a target the policy refuses is never connected to. */
export function tcpProbe(target: IngestTarget, policy: OutboundPolicy | null = null): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      policy?.assertLiteralAllowed(target.host);
    } catch {
      return resolve(false);
    }
    const socket = connect({ host: target.host, port: target.port, lookup: policy?.lookup });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Host and port of an ingest for the reachability probe (rtmps defaults to 443, rtmp to 1935). */
export function ingestTarget(serverUrl: string): IngestTarget {
  const url = new URL(serverUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'rtmps:' ? 443 : 1935;
  return { host: url.hostname, port };
}
