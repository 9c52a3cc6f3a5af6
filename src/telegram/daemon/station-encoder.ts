import { EventEmitter } from 'node:events';
import { redact } from '../../common/redaction.js';
import type { ManagedProcessWithOutput, ProcessRepository } from '../../repositories/process.repository.js';
import { Backoff } from './backoff.js';
import { EncoderProgress, ProgressParser } from './encoder.js';
import type { PcmSink } from './feeder.js';
import { type FlvTag, FlvReader, isStreamConfig } from './rtmp/flv.js';

export interface StationEncoderOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  /** Built per start: the encoder writes FLV to its fd 3 (no URL among them: destinations are published here). */
  encoderArgs: () => string[];
  /** Restart the encoder when its output has not grown for this long (a hung ffmpeg). */
  stallTimeoutMs: number;
  /** Most PCM queued for the encoder's stdin beyond the pipe; more is dropped (the encoder is not reading). */
  maxQueuedBytes: number;
  /** A run that held this long resets the restart backoff. */
  stableAfterMs?: number;
  backoff?: Backoff;
  now?: () => number;
}

export interface StationEncoderEvents {
  /** FLV tags of the station's one encode, on one timeline that never goes back (not even across restarts). */
  tags: [FlvTag[]];
  /** The encoder's stdin while an encoder runs, null otherwise. */
  sink: [PcmSink | null];
  /** The encoder exited without being asked to and is started again after `delayMs`. */
  restarting: [{ reason: string; delayMs: number }];
  /** A line ffmpeg logged (already redacted), with its level. */
  log: [{ level: 'error' | 'warn' | 'info' | 'debug'; message: string }];
}

/** Gap put between the last tag of an encoder run and the first of the next, on the shared timeline. */
const RESTART_GAP_MS = 40;

/**
 * The station's one encode: ffmpeg turns the feeder's PCM and the looped cover into FLV on a pipe, read here without
 * ever pausing (a destination that cannot keep up is that destination's problem, never the encoder's), split into
 * tags and handed to every destination. It is restarted with backoff (1 s → 30 s) when it exits or its output stops
 * growing; the destinations keep their connections meanwhile and the timeline goes on from where it was.
 */
export class StationEncoder extends EventEmitter<StationEncoderEvents> {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private child: ManagedProcessWithOutput | null = null;
  private stopping = false;
  private stoppedChild: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  /** The newest metadata and codec headers: what a destination needs before any frame. */
  private readonly config = new Map<string, FlvTag>();
  private lastTimestamp = -1;
  private restartCount = 0;
  private lastBitrate = 0;

  constructor(private readonly options: StationEncoderOptions) {
    super();
    this.backoff = options.backoff ?? new Backoff();
    this.now = options.now ?? (() => performance.now());
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Metadata and sequence headers, in the order a publisher sends them. */
  get streamConfig(): FlvTag[] {
    return [...this.config.values()];
  }

  get restarts(): number {
    return this.restartCount;
  }

  /** The output bitrate ffmpeg last reported. */
  get bitrateKbps(): number {
    return this.child ? this.lastBitrate : 0;
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (child) {
      child.stdin.end();
      await this.options.processes.terminate(child, 3000);
    }
    await this.stoppedChild;
  }

  private launch(): void {
    if (this.stopping) return;
    const child = this.options.processes.spawnWithOutput(this.options.ffmpegPath, this.options.encoderArgs());
    this.child = child;
    const startedAt = this.now();
    const reader = new FlvReader();
    let offset: number | null = null;
    let stderrTail = '';
    let failure: string | null = null;
    let lastTotalSize = -1;
    let lastGrowthAt = this.now();

    child.output.on('data', (data: Buffer) => {
      let tags: FlvTag[];
      try {
        tags = reader.push(data);
      } catch (error) {
        failure = (error as Error).message;
        child.kill('SIGKILL');
        return;
      }
      if (tags.length === 0) return;
      // Continue the timeline: a restarted encoder counts from 0 again.
      offset ??= this.lastTimestamp < 0 ? 0 : Math.max(0, this.lastTimestamp + RESTART_GAP_MS - tags[0].timestamp);
      const shifted = offset === 0 ? tags : tags.map((tag) => ({ ...tag, timestamp: (tag.timestamp + offset!) >>> 0 }));
      for (const tag of shifted) {
        if (isStreamConfig(tag)) this.config.set(configKey(tag), tag);
        else this.lastTimestamp = tag.timestamp;
      }
      this.emit('tags', shifted);
    });

    const stdin = child.stdin;
    stdin.on('error', () => undefined); // EPIPE when the encoder dies; its exit is handled below.
    const maxQueued = this.options.maxQueuedBytes;
    this.emit('sink', {
      write: (data) => {
        if (stdin.destroyed || stdin.writableLength > maxQueued) return;
        stdin.write(data);
      },
    });

    const progress = new ProgressParser((p: EncoderProgress) => {
      this.lastBitrate = p.bitrateKbps;
      if (p.totalSize > lastTotalSize) {
        lastTotalSize = p.totalSize;
        lastGrowthAt = this.now();
      }
    });
    child.stdout.on('data', (d: Buffer) => progress.push(d.toString()));
    let partialLine = '';
    child.stderr.on('data', (d: Buffer) => {
      const lines = (partialLine + d.toString()).split(/\r?\n|\r/);
      partialLine = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const message = redact(line);
        stderrTail = message;
        this.emit('log', { level: levelOf(message), message });
      }
    });

    this.stallTimer = setInterval(
      () => {
        if (this.now() - lastGrowthAt <= this.options.stallTimeoutMs) return;
        failure = `no output for ${Math.round(this.options.stallTimeoutMs / 1000)} s`;
        this.emit('log', {
          level: 'warn',
          message: `the encoder wrote nothing for ${Math.round(this.options.stallTimeoutMs / 1000)} s: restarting it`,
        });
        child.kill('SIGKILL');
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
      this.emit('sink', null);
      if (this.stopping) return;
      if (this.now() - startedAt >= (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();
      const reason = failure ?? (error ? error.message : `encoder exited (${signal ?? `code ${code}`}): ${stderrTail || 'no output'}`);
      const delayMs = this.backoff.next();
      this.restartCount += 1;
      this.emit('restarting', { reason, delayMs });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.launch();
      }, delayMs);
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
}

function configKey(tag: FlvTag): string {
  return String(tag.type);
}

/** `-loglevel level+info` prefixes each line with its level. */
function levelOf(message: string): 'error' | 'warn' | 'debug' {
  if (/^\[(?:[^\]]*\]\s*\[)?(error|fatal|panic)\]/.test(message)) return 'error';
  if (/^\[(?:[^\]]*\]\s*\[)?warning\]/.test(message)) return 'warn';
  return 'debug';
}
