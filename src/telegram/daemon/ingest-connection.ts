import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import type { OutboundPolicy } from '../../common/outbound-policy.js';
import { redact } from '../../common/redaction.js';
import type { ManagedProcess, ProcessRepository } from '../../repositories/process.repository.js';
import { Backoff } from './backoff.js';
import type { ConnectionState } from '../../contracts/daemon-messages.js';
import { EncoderProgress, ProgressParser } from './encoder.js';
import type { PcmSink } from './feeder.js';
import { FlvPublisher, type FlvPublisherEvents } from './rtmp/flv-relay.js';

export interface IngestTarget {
  host: string;
  port: number;
}

/** What publishes the encoder's FLV (FlvPublisher; a fake in unit specs). */
export interface Publisher {
  readonly bytesSent: number;
  start(): void;
  close(): void;
  destroy(): void;
  once<K extends keyof FlvPublisherEvents>(event: K, listener: (...args: FlvPublisherEvents[K]) => void): unknown;
}

export interface IngestConnectionOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  /** Built per attempt: the encoder writes FLV to its fd 3 (no URL among them: it would carry the key). */
  encoderArgs: () => string[];
  /** rtmp(s)://host/app/key — a secret, held by this process only. */
  publishUrl: string;
  /** Where the publish connection may go (WAVE_OUTBOUND_ALLOW). */
  policy: OutboundPolicy | null;
  /** Unit specs replace the RTMP client. */
  createPublisher?: (url: string, policy: OutboundPolicy | null, flv: Readable, startTimeoutMs: number) => Publisher;
  /** For the reachability probe while waiting to reconnect. */
  target: IngestTarget;
  /** Kill the encoder when its output has not grown for this long (a stalled ingest). */
  stallTimeoutMs: number;
  /** A connection that held this long resets the backoff. */
  stableAfterMs?: number;
  backoff?: Backoff;
  /** Most PCM queued for the encoder's stdin beyond the pipe; more is dropped (the encoder is not reading). */
  maxQueuedBytes: number;
  /** Probe interval while waiting to reconnect. */
  probeIntervalMs?: number;
  now?: () => number;
  probe?: (target: IngestTarget) => Promise<boolean>;
}

export interface ConnectionStateEvent {
  state: ConnectionState;
  attempt: number;
  delayMs?: number;
  reason?: string;
  /** Why the previous connection ended, as a code where one applies (e.g. `outbound_refused`). */
  reasonCode?: string;
}

export interface IngestConnectionEvents {
  state: [ConnectionStateEvent];
  /** The encoder's stdin while an encoder runs, null otherwise. */
  sink: [PcmSink | null];
  /** A line ffmpeg logged (already redacted), with its level. */
  log: [{ level: 'error' | 'warn' | 'info' | 'debug'; message: string }];
}

/**
 * Keeps one encoder pushing to the ingest: ffmpeg encodes to FLV on a pipe and this process publishes it
 * (FlvPublisher), so the key is in no process's arguments. When the encoder exits, the publish fails or
 * the output stops growing, the connection is retried with backoff (1 s → 30 s); while waiting, a TCP
 * probe notices an ingest that comes back and retries at once.
 */
export class IngestConnection extends EventEmitter<IngestConnectionEvents> {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly probe: (target: IngestTarget) => Promise<boolean>;
  private child: ManagedProcess | null = null;
  private publisher: Publisher | null = null;
  private state: ConnectionState = 'stopped';
  private stopping = false;
  private connectedAt: number | null = null;
  private lastGrowthAt = 0;
  private lastTotalSize = -1;
  private stallTimer: NodeJS.Timeout | null = null;
  private waitTimer: NodeJS.Timeout | null = null;
  private stoppedChild: Promise<void> = Promise.resolve();
  private sentBefore = 0;
  private sentNow = 0;
  private reconnectCount = 0;
  private lastBitrate = 0;

  constructor(private readonly options: IngestConnectionOptions) {
    super();
    this.backoff = options.backoff ?? new Backoff();
    this.now = options.now ?? (() => performance.now());
    this.probe = options.probe ?? ((target) => tcpProbe(target, options.policy));
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get connectedForMs(): number {
    return this.connectedAt === null ? 0 : this.now() - this.connectedAt;
  }

  get bytesSent(): number {
    return this.sentBefore + this.sentNow;
  }

  get reconnects(): number {
    return this.reconnectCount;
  }

  get bitrateKbps(): number {
    return this.connected ? this.lastBitrate : 0;
  }

  start(): void {
    this.stopping = false;
    this.launch(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const child = this.child;
    if (child) {
      child.stdin.end();
      await this.options.processes.terminate(child, 3000);
    }
    await this.stoppedChild;
    this.setState({ state: 'stopped', attempt: 0 });
  }

  private launch(attempt: number): void {
    if (this.stopping) return;
    this.setState({ state: 'connecting', attempt });
    const child = this.options.processes.spawnWithOutput(this.options.ffmpegPath, this.options.encoderArgs());
    this.child = child;
    this.connectedAt = null;
    this.lastTotalSize = -1;
    this.lastGrowthAt = this.now();
    this.sentNow = 0;
    let stderrTail = '';
    let publishFailure: { message: string; code?: string } | null = null;
    const createPublisher =
      this.options.createPublisher ?? ((url, policy, flv, startTimeoutMs) => new FlvPublisher(url, policy, flv, startTimeoutMs));
    const publisher = createPublisher(this.options.publishUrl, this.options.policy, child.output, this.options.stallTimeoutMs);
    this.publisher = publisher;
    publisher.once('published', () => this.markConnected());
    publisher.once('closed', ({ error }) => {
      if (this.child !== child || this.stopping) return;
      publishFailure = { message: redact(error?.message ?? 'the ingest closed the connection'), code: error?.code };
      child.kill('SIGKILL');
    });
    publisher.start();

    const maxQueued = this.options.maxQueuedBytes;
    const stdin = child.stdin;
    stdin.on('error', () => undefined); // EPIPE when the encoder dies; its exit is handled below.
    this.emit('sink', {
      write: (data) => {
        if (stdin.destroyed || stdin.writableLength > maxQueued) return;
        stdin.write(data);
      },
    });

    const progress = new ProgressParser((p) => this.onProgress(p));
    child.stdout.on('data', (d: Buffer) => progress.push(d.toString()));
    let partialLine = '';
    child.stderr.on('data', (d: Buffer) => {
      const lines = (partialLine + d.toString()).split(/\r?\n|\r/);
      partialLine = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const message = redact(line);
        stderrTail = message;
        this.onEncoderLine(message);
      }
    });

    this.stallTimer = setInterval(
      () => {
        // Until the ingest accepts the publish, the publisher's own start timeout applies.
        if (this.connectedAt === null) return;
        if (this.now() - this.lastGrowthAt > this.options.stallTimeoutMs) {
          this.emit('log', {
            level: 'warn',
            message: `no output to the ingest for ${Math.round(this.options.stallTimeoutMs / 1000)} s: restarting the encoder`,
          });
          stderrTail = 'stalled';
          child.kill('SIGKILL');
        }
      },
      Math.min(1000, this.options.stallTimeoutMs),
    );

    let exitHandled = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (exitHandled) return;
      exitHandled = true;
      if (this.stallTimer) clearInterval(this.stallTimer);
      this.stallTimer = null;
      this.child = null;
      this.publisher = null;
      this.sentBefore += publisher.bytesSent;
      this.sentNow = 0;
      this.emit('sink', null);
      const heldMs = this.connectedForMs;
      this.connectedAt = null;
      if (this.stopping) {
        publisher.close(); // FCUnpublish and deleteStream, as ffmpeg ended a publish
        return;
      }
      publisher.destroy();
      if (heldMs >= (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
      const reason =
        publishFailure?.message ?? (error ? error.message : `encoder exited (${signal ?? `code ${code}`}): ${stderrTail || 'no output'}`);
      this.scheduleReconnect(reason, publishFailure?.code);
    };
    this.stoppedChild = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        onExit(code, signal);
        resolve();
      });
      child.once('error', (error) => {
        onExit(null, null, error);
        resolve();
      });
    });
  }

  private onEncoderLine(message: string): void {
    // `-loglevel level+info` prefixes each line with its level.
    const level = /^\[(?:[^\]]*\]\s*\[)?(error|fatal|panic)\]/.test(message)
      ? 'error'
      : /^\[(?:[^\]]*\]\s*\[)?warning\]/.test(message)
        ? 'warn'
        : 'debug';
    this.emit('log', { level, message });
  }

  private onProgress(progress: EncoderProgress): void {
    this.lastBitrate = progress.bitrateKbps;
    // The output grows only while the publisher takes it (it pauses the pipe while the socket is full).
    if (progress.totalSize > this.lastTotalSize) {
      this.lastTotalSize = progress.totalSize;
      this.lastGrowthAt = this.now();
    }
    this.sentNow = this.publisher?.bytesSent ?? this.sentNow;
  }

  private markConnected(): void {
    if (this.connectedAt !== null || this.stopping) return;
    this.connectedAt = this.now();
    this.lastGrowthAt = this.now();
    this.setState({ state: 'connected', attempt: this.backoff.attempt });
  }

  private scheduleReconnect(reason: string, reasonCode?: string): void {
    const delayMs = this.backoff.next();
    const attempt = this.backoff.attempt;
    this.reconnectCount += 1;
    this.setState({ state: 'reconnecting', attempt, delayMs, reason, ...(reasonCode ? { reasonCode } : {}) });
    const due = this.now() + delayMs;
    const interval = this.options.probeIntervalMs ?? 1000;
    let sawUnreachable = false;
    // Wait out the delay, but retry at once when the ingest was unreachable and answers again.
    const step = async () => {
      this.waitTimer = null;
      if (this.stopping) return;
      if (this.now() >= due) return this.launch(attempt);
      const reachable = await this.probe(this.options.target);
      if (this.stopping) return;
      if (!reachable) sawUnreachable = true;
      else if (sawUnreachable) return this.launch(attempt);
      this.waitTimer = setTimeout(() => void step(), Math.min(interval, Math.max(0, due - this.now())));
    };
    this.waitTimer = setTimeout(() => void step(), 0);
  }

  private setState(event: ConnectionStateEvent): void {
    this.state = event.state;
    this.emit('state', event);
  }
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
