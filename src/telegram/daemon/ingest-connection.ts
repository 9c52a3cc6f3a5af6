import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { redact } from '../../common/redaction.js';
import type { ManagedProcess, ProcessRepository } from '../../repositories/process.repository.js';
import { Backoff } from './backoff.js';
import type { ConnectionState } from './daemon-messages.js';
import { EncoderProgress, ProgressParser } from './encoder.js';
import type { PcmSink } from './feeder.js';

export interface IngestTarget {
  host: string;
  port: number;
}

export interface IngestConnectionOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  /** Built per attempt (the encoder arguments, publish URL included). */
  encoderArgs: () => string[];
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
}

export interface IngestConnectionEvents {
  state: [ConnectionStateEvent];
  /** The encoder's stdin while an encoder runs, null otherwise. */
  sink: [PcmSink | null];
  progress: [EncoderProgress];
  /** A line ffmpeg logged (already redacted), with its level. */
  log: [{ level: 'error' | 'warn' | 'info' | 'debug'; message: string }];
}

/**
 * Keeps one encoder pushing to the ingest. When the encoder exits or its output stops growing, the
 * connection is retried with backoff (1 s → 30 s); while waiting, a TCP probe notices an ingest that comes
 * back and retries at once.
 */
export class IngestConnection extends EventEmitter<IngestConnectionEvents> {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly probe: (target: IngestTarget) => Promise<boolean>;
  private child: ManagedProcess | null = null;
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
    this.probe = options.probe ?? tcpProbe;
  }

  get connectionState(): ConnectionState {
    return this.state;
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
    const child = this.options.processes.spawn(this.options.ffmpegPath, this.options.encoderArgs());
    this.child = child;
    this.connectedAt = null;
    this.lastTotalSize = -1;
    this.lastGrowthAt = this.now();
    this.sentNow = 0;
    let stderrTail = '';

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

    this.stallTimer = setInterval(() => {
      if (this.now() - this.lastGrowthAt > this.options.stallTimeoutMs) {
        this.emit('log', { level: 'warn', message: `no output to the ingest for ${Math.round(this.options.stallTimeoutMs / 1000)} s: restarting the encoder` });
        stderrTail = 'stalled';
        child.kill('SIGKILL');
      }
    }, Math.min(1000, this.options.stallTimeoutMs));

    let exitHandled = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (exitHandled) return;
      exitHandled = true;
      if (this.stallTimer) clearInterval(this.stallTimer);
      this.stallTimer = null;
      this.child = null;
      this.sentBefore += this.sentNow;
      this.sentNow = 0;
      this.emit('sink', null);
      const heldMs = this.connectedForMs;
      this.connectedAt = null;
      if (this.stopping) return;
      if (heldMs >= (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
      const reason = error ? error.message : `encoder exited (${signal ?? `code ${code}`}): ${stderrTail || 'no output'}`;
      this.scheduleReconnect(reason);
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
    // ffmpeg prints the output header once the ingest accepted the connection.
    if (/Output #0, flv/.test(message)) this.markConnected();
  }

  private onProgress(progress: EncoderProgress): void {
    this.lastBitrate = progress.bitrateKbps;
    if (progress.totalSize > this.lastTotalSize) {
      this.lastTotalSize = progress.totalSize;
      this.lastGrowthAt = this.now();
      this.sentNow = progress.totalSize;
    }
    if (progress.totalSize > 0) this.markConnected();
    this.emit('progress', progress);
  }

  private markConnected(): void {
    if (this.connectedAt !== null || this.stopping) return;
    this.connectedAt = this.now();
    this.lastGrowthAt = this.now();
    this.setState({ state: 'connected', attempt: this.backoff.attempt });
  }

  private scheduleReconnect(reason: string): void {
    const delayMs = this.backoff.next();
    const attempt = this.backoff.attempt;
    this.reconnectCount += 1;
    this.setState({ state: 'reconnecting', attempt, delayMs, reason });
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

/** True when a TCP connection to the ingest opens within 2 s. */
export function tcpProbe(target: IngestTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
