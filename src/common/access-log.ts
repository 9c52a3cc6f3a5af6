import { mkdirSync } from 'node:fs';
import pino, { type Logger as PinoLogger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { redact } from './redaction.js';

/** `LOG_DIR/access.log`: one JSON line per HTTP request. */
export const ACCESS_LOG_FILE = 'access.log';
const ACCESS_LOG_MAX_SIZE = '10M' as const;
/** Rotated copies kept: access.log.1 (newest) … access.log.5. */
const ACCESS_LOG_FILES_KEPT = 5;
/** Lines gathered for at most this long before they are written… */
const FLUSH_INTERVAL_MS = 100;
/** …or until they reach this size. */
const FLUSH_BYTES = 64 * 1024;

export interface AccessLogOptions {
  logDir: string;
  /** Development also prints each request on the console; production and tests keep it to the file. */
  console: boolean;
  /** Size at which access.log is rotated (rotating-file-stream's notation); 10 MB unless a test says otherwise. */
  maxSize?: `${number}${'B' | 'K' | 'M'}`;
  /** Told when the file cannot be written (a full disk): requests go on, their lines are lost. */
  onError?: (error: Error) => void;
}

/** One request as the access log records it. */
export interface AccessLogEntry {
  method: string;
  /** The route template (`/api/tracks/:id`), or `unmatched`. */
  route: string;
  /** The URL's path, without its query. */
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
}

/**
 * The access log, apart from Wave's own log with a rotation of its own (10 MB, 5 kept): a flood of requests
 * (7k reads/s rotated all 50 MB of wave.log away in ~40 s when each request wrote a line there) only turns
 * over this file, and what Wave said about itself stays. Errors a request caused are still in wave.log.
 * Not on the console in production, where a process manager's log of stdout may not rotate at all.
 *
 * pino, not winston: a line here is written for every request, and winston's format pipeline cost ~0.11 ms of
 * CPU a request here under load (pino's line ~2 µs alone; the file writes are batched, see `pending`). Lines keep wave.log's shape (`level`, `timestamp`,
 * `message`). Only the path can carry a caller's text that could be a secret; it is redacted.
 */
export class AccessLog {
  private readonly file: RotatingFileStream;
  private readonly logger: PinoLogger;
  /**
   * Lines not yet handed to the file, written together every FLUSH_INTERVAL_MS (or at FLUSH_BYTES): the rotating
   * stream makes an fs call for each chunk it is given, so a busy second makes ~10 of them instead of one a request.
   * A crash loses at most that interval of access lines; close() writes what is pending.
   */
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(options: AccessLogOptions) {
    mkdirSync(options.logDir, { recursive: true });
    this.file = createStream(ACCESS_LOG_FILE, {
      path: options.logDir,
      size: options.maxSize ?? ACCESS_LOG_MAX_SIZE,
      rotate: ACCESS_LOG_FILES_KEPT,
    });
    this.file.on('error', (error: Error) => options.onError?.(error));
    const batched = { write: (line: string) => this.batch(line) };
    const streams = options.console ? pino.multistream([{ stream: batched }, { stream: process.stdout }]) : batched;
    this.logger = pino(
      {
        base: null,
        messageKey: 'message',
        timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
        formatters: { level: (label) => ({ level: label }) },
      },
      streams,
    );
  }

  request(entry: AccessLogEntry): void {
    this.logger.info({ context: 'HTTP', ...entry, path: redact(entry.path) }, 'request');
  }

  private batch(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  /** Hands the pending lines to the file now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    this.file.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Resolves once every line given is in the file (call before exit), or after `timeoutMs`. */
  close(timeoutMs = 3000): Promise<void> {
    this.flush();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.file.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
