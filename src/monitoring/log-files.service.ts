import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { join } from 'node:path';
import { ACCESS_LOG_FILE } from '../common/access-log.js';
import { redact } from '../common/redaction.js';
import { AppConfig } from '../config/app-config.js';
import type { LogService } from '../contracts/socket-events.js';
import { StorageRepository } from '../repositories/storage.repository.js';

/** Log file of each service in LOG_DIR (the daemon writes its own). */
export const LOG_FILE_NAMES: Record<LogService, string> = { wave: 'wave.log', telegram: 'telegram-stream.log', access: ACCESS_LOG_FILE };
export const MAX_TAIL_LINES = 1000;
/** A tail never reads more than this from the end of a file, however long its lines. */
const MAX_TAIL_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const FOLLOW_INTERVAL_MS = 250;

/** Reads Wave's and the daemon's log files: the last lines, or new lines as they are written. Every line is redacted. */
@Injectable()
export class LogFiles implements OnModuleDestroy {
  private readonly logger = new Logger(LogFiles.name);
  private readonly followers = new Set<() => void>();

  constructor(
    private readonly config: AppConfig,
    private readonly storage: StorageRepository,
  ) {}

  pathOf(service: LogService): string {
    return join(this.config.logDir, LOG_FILE_NAMES[service]);
  }

  /** The last `lines` lines (at most MAX_TAIL_LINES), oldest first; none when the file does not exist yet. */
  async tail(service: LogService, lines: number): Promise<string[]> {
    const wanted = Math.min(Math.max(lines, 0), MAX_TAIL_LINES);
    if (wanted === 0) return [];
    const file = await this.storage.openForReading(this.pathOf(service));
    if (!file) return [];
    try {
      const { size } = await file.stat();
      const chunks: Buffer[] = [];
      let position = size;
      let newlines = 0;
      // Read backwards until there are enough complete lines or the byte bound is reached.
      while (position > 0 && size - position < MAX_TAIL_BYTES && newlines <= wanted) {
        const length = Math.min(CHUNK_BYTES, position);
        position -= length;
        const chunk = Buffer.alloc(length);
        await file.read(chunk, 0, length, position);
        chunks.unshift(chunk);
        for (const byte of chunk) if (byte === 0x0a) newlines += 1;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const all = text.split('\n').filter((line) => line.length > 0);
      // The first line is partial when the read did not start at the beginning of the file.
      if (position > 0) all.shift();
      return all.slice(-wanted).map(redact);
    } finally {
      await file.close();
    }
  }

  /** Calls `onLine` for every line appended from now on (rotation and truncation start over); returns a stop function. */
  follow(service: LogService, onLine: (line: string) => void): () => void {
    const path = this.pathOf(service);
    // Taken now, not at the first poll: a client whose subscription was acknowledged gets every line after it.
    let offset = this.storage.sizeNow(path);
    let partial = '';
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        const size = await this.storage.stat(path).then(
          (s) => s?.size ?? 0,
          () => 0,
        );
        if (size < offset) {
          offset = 0;
          partial = '';
        }
        if (size <= offset) return;
        const length = Math.min(size - offset, MAX_TAIL_BYTES);
        const file = await this.storage.openForReading(path);
        if (!file) return;
        try {
          const chunk = Buffer.alloc(length);
          await file.read(chunk, 0, length, offset);
          offset += length;
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.length > 0) onLine(redact(line));
        } finally {
          await file.close();
        }
      } catch (error) {
        this.logger.warn(`Following ${path} failed: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void poll(), FOLLOW_INTERVAL_MS);
    const stop = () => {
      clearInterval(timer);
      this.followers.delete(stop);
    };
    this.followers.add(stop);
    return stop;
  }

  onModuleDestroy(): void {
    for (const stop of [...this.followers]) stop();
  }
}
