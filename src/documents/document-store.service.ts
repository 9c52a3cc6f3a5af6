import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { join } from 'node:path';
import { StartupError } from '../common/startup-error.js';
import { WaveError } from '../common/wave-error.js';
import { type FileInfo, StorageRepository } from '../repositories/storage.repository.js';
import { AppConfig } from '../config/app-config.js';
import { isOrphanedTempFile } from '../repositories/durable-file.js';
import { FileLockBusyError, FileLockRepository, lockPathOf } from '../repositories/file-lock.repository.js';

/** One JSON document in DATA_DIR: its file name, the class-validator schema it must meet, its defaults. */
export interface DocumentDefinition<T extends object> {
  file: string;
  schema: new () => T;
  defaults(): T;
}

export class DocumentValidationError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} does not meet its schema: ${problems.join('; ')}`);
  }
}

/** Injection token: the documents Wave keeps, checked (created, or moved aside when corrupt) at boot. */
export const DATA_DOCUMENTS = Symbol('DATA_DOCUMENTS');

interface CachedDocument {
  value: object;
  mtimeMs: number;
  size: number;
  ino?: number;
}

/** At boot a bad document is moved aside (the operator is told in the log); while running nothing is ever reset. */
type Phase = 'boot' | 'running';

/**
 * The one store for `DATA_DIR/*.json`. Writes are durable or fail (see writeFileDurably): a failed write
 * leaves the previous file as it was and is the request's error (507 `insufficient_storage` when the disk
 * is full, else 500 `storage_write_failed`). Writes are serialized per file, so concurrent updates never
 * interleave or lose an acknowledged write. At boot, temp files of interrupted writes are removed and a file
 * that does not parse or fails its schema is moved aside as `<name>.corrupt-<timestamp>` and replaced by
 * defaults; while running, such a file is an error (500 `document_unreadable`) for the request that reads
 * it, and stays as it is.
 *
 * Several Wave instances may share DATA_DIR: every read-modify-write (an update, creating a missing document,
 * the boot's checks) holds the document's cross-process lock (`<name>.lock`, FileLockRepository) behind the
 * in-process mutex, and re-reads the file inside it (the cache may hold another instance's older version). A
 * lock held elsewhere past FileLockTimings.waitMs is 503 `document_busy` for the request, with nothing changed.
 */
@Injectable()
export class DocumentStore implements OnModuleInit {
  private readonly logger = new Logger(DocumentStore.name);
  private readonly locks = new Map<string, Mutex>();
  private readonly cache = new Map<string, CachedDocument>();

  constructor(
    private readonly config: AppConfig,
    private readonly storage: StorageRepository,
    private readonly fileLocks: FileLockRepository,
    @Optional() @Inject(DATA_DOCUMENTS) private readonly documents: DocumentDefinition<object>[] = [],
  ) {}

  /** A bad file is found at boot, not at the first request that happens to read it. */
  async onModuleInit(): Promise<void> {
    for (const def of this.documents) {
      await this.exclusive(def, 'boot', async () => {
        await this.removeOrphanedTempFiles(def);
        await this.load(def, 'boot');
      });
    }
  }

  /**
   * For a document not checked at boot (not in DATA_DOCUMENTS, e.g. one read only once): removes temp files of
   * interrupted writes and reads it as boot does (a corrupt file is moved aside and replaced by the defaults).
   */
  async readAtBoot<T extends object>(def: DocumentDefinition<T>): Promise<T> {
    return this.exclusive(def, 'boot', async () => {
      await this.removeOrphanedTempFiles(def);
      return this.load(def, 'boot');
    });
  }

  /** Removes the temp files interrupted writes of `def` left (see readAtBoot), without reading it. */
  async removeInterruptedWrites(def: DocumentDefinition<object>): Promise<void> {
    await this.exclusive(def, 'boot', () => this.removeOrphanedTempFiles(def));
  }

  /**
   * Runs `fn` holding the document's locks, in-process and cross-process, for a writer of the file that does not go
   * through update() (the library snapshot): `patient` waits past a crashed holder's stale time instead of answering
   * 503 `document_busy`.
   */
  async writeExclusively<T>(def: DocumentDefinition<object>, fn: () => Promise<T>, patient = false): Promise<T> {
    return this.exclusive(def, 'running', fn, patient ? this.fileLocks.timings.patientWaitMs : undefined);
  }

  pathOf(def: DocumentDefinition<object>): string {
    return join(this.config.dataDir, def.file);
  }

  /** The document as stored (a copy the caller may change freely). */
  async read<T extends object>(def: DocumentDefinition<T>): Promise<T> {
    const path = this.pathOf(def);
    const info = await this.storage.stat(path).catch(() => null);
    const cached = this.cache.get(path);
    if (info && cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size && cached.ino === info.ino) {
      return structuredClone(cached.value) as T;
    }
    return this.lock(path).runExclusive(async () => {
      const stored = await this.loadStored(def, 'running');
      // Creating the missing file is a write: another instance may be creating or updating it at this moment.
      return stored ?? this.withFileLock(def, 'running', () => this.load(def, 'running'));
    });
  }

  /** Applies `mutate` to the current document and stores the result; nothing is written if it throws. */
  async update<T extends object>(def: DocumentDefinition<T>, mutate: (current: T) => T | Promise<T>): Promise<T> {
    return this.exclusive(def, 'running', async () => {
      // From the disk, inside the lock: another instance may have written it since this one cached it.
      const current = await this.load(def, 'running');
      const next = await mutate(current);
      const problems = this.validate(def, next);
      if (problems.length > 0) throw new DocumentValidationError(def.file, problems);
      await this.write(def, next, 'running');
      return structuredClone(next);
    });
  }

  private lock(path: string): Mutex {
    let mutex = this.locks.get(path);
    if (!mutex) this.locks.set(path, (mutex = new Mutex()));
    return mutex;
  }

  /** The in-process mutex first, so one process's requests queue here rather than all polling the lock directory. */
  private exclusive<T>(def: DocumentDefinition<object>, phase: Phase, fn: () => Promise<T>, waitMs?: number): Promise<T> {
    return this.lock(this.pathOf(def)).runExclusive(() => this.withFileLock(def, phase, fn, waitMs));
  }

  /** `fn` under the document's cross-process lock; call under its in-process mutex. Boot waits past a crashed holder's stale time. */
  private async withFileLock<T>(def: DocumentDefinition<object>, phase: Phase, fn: () => Promise<T>, waitMs?: number): Promise<T> {
    const path = this.pathOf(def);
    const { timings } = this.fileLocks;
    let release: () => Promise<void>;
    try {
      // The lock directory lives beside the document.
      await this.storage.mkdir(this.config.dataDir);
      release = await this.fileLocks.acquire(path, waitMs ?? (phase === 'boot' ? timings.patientWaitMs : timings.waitMs));
    } catch (error) {
      throw this.lockFailed(def, phase, error);
    }
    try {
      return await fn();
    } finally {
      await release().catch((error: Error) => this.logger.warn(`could not release ${lockPathOf(def.file)}: ${error.message}`));
    }
  }

  /** A write killed between its temp file and the rename leaves the temp file (with a stream key, for the Telegram config). */
  private async removeOrphanedTempFiles(def: DocumentDefinition<object>): Promise<void> {
    const entries = await this.storage.list(this.config.dataDir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const entry of entries.filter((e) => isOrphanedTempFile(def.file, e))) {
      await this.storage.unlink(join(this.config.dataDir, entry)).then(
        () => removed.push(entry),
        (error: Error) => this.logger.warn(`could not remove ${entry}, left by an interrupted write of ${def.file}: ${error.message}`),
      );
    }
    if (removed.length > 0)
      this.logger.warn(`removed ${removed.length} temp file(s) left by interrupted writes of ${def.file}: ${removed.join(', ')}`);
  }

  /**
   * Reads the file, creating it with defaults when missing. A corrupt file is moved aside at boot and
   * is the caller's error while running. Call under the lock.
   */
  private async load<T extends object>(def: DocumentDefinition<T>, phase: Phase): Promise<T> {
    const stored = await this.loadStored(def, phase);
    if (stored) return stored;
    const defaults = def.defaults();
    await this.write(def, defaults, phase);
    return structuredClone(defaults);
  }

  /** As load, but null when the file is missing (nothing is written then). */
  private async loadStored<T extends object>(def: DocumentDefinition<T>, phase: Phase): Promise<T | null> {
    const path = this.pathOf(def);
    let text: string;
    let info: FileInfo;
    try {
      // The text and the stat of one file: another instance may rename its write into place at any moment.
      ({ text, info } = await this.storage.readTextWithInfo(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.unreadable(def, phase, describeFileError(error));
      return null;
    }
    const { value, problems } = this.parse(def, text);
    if (value === undefined) {
      if (phase === 'running') throw this.unreadable(def, phase, problems.join('; '));
      const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await this.storage.rename(path, aside);
      this.logger.error(`${def.file} is unreadable (${problems.join('; ')}); moved it aside to ${aside} and started from defaults`);
      const defaults = def.defaults();
      await this.write(def, defaults, phase);
      return structuredClone(defaults);
    }
    this.remember(path, value, info);
    return value;
  }

  private parse<T extends object>(def: DocumentDefinition<T>, text: string): { value?: T; problems: string[] } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // V8 quotes a piece of the text in its message; the Telegram config holds a stream key.
      return { problems: [`not valid JSON (${(error as Error).message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"')})`] };
    }
    // `null` or `[]` would otherwise spread into the defaults unnoticed.
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {
        problems: [
          `the document must be a JSON object, not ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`,
        ],
      };
    }
    // Fields added to a schema after the file was written take their defaults.
    const value = { ...def.defaults(), ...(parsed as T) };
    const problems = this.validate(def, value);
    return problems.length > 0 ? { problems } : { value, problems };
  }

  private validate<T extends object>(def: DocumentDefinition<T>, value: T): string[] {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['the document must be a JSON object'];
    const instance = plainToInstance(def.schema, value);
    return flattenValidationErrors(validateSync(instance, { forbidUnknownValues: false }));
  }

  private async write(def: DocumentDefinition<object>, value: object, phase: Phase): Promise<void> {
    const path = this.pathOf(def);
    try {
      await this.storage.mkdir(this.config.dataDir);
      await this.storage.writeDurably(path, Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'), 0o600);
    } catch (error) {
      throw this.writeFailed(def, phase, error);
    }
    this.remember(path, value, await this.storage.stat(path));
  }

  /** Later reads skip the disk while the file's size and mtime stay as they were. */
  private remember(path: string, value: object, info: { mtimeMs: number; size: number; ino?: number } | null): void {
    if (!info) throw Object.assign(new Error(`${path} vanished right after it was read or written`), { code: 'ENOENT' });
    this.cache.set(path, { value: structuredClone(value), mtimeMs: info.mtimeMs, size: info.size, ino: info.ino });
  }

  private unreadable(def: DocumentDefinition<object>, phase: Phase, reason: string): Error {
    if (phase === 'boot') return new StartupError(`DATA_DIR file ${def.file} (${this.pathOf(def)}) cannot be read: ${reason}`);
    return new WaveError(500, 'document_unreadable', [
      `${def.file} in DATA_DIR cannot be read: ${reason}. Nothing was changed; fix the file, or restart Wave to move it aside and start from defaults`,
    ]);
  }

  private lockFailed(def: DocumentDefinition<object>, phase: Phase, error: unknown): Error {
    const lock = lockPathOf(def.file);
    if (error instanceof FileLockBusyError) {
      const why = `${lock} is held by another Wave instance (waited ${error.waitedMs} ms; a crashed holder's lock is taken over ${this.fileLocks.timings.staleMs / 1000} s after it stopped)`;
      if (phase === 'boot') return new StartupError(`DATA_DIR file ${def.file} (${this.pathOf(def)}) cannot be locked: ${why}`);
      return new WaveError(503, 'document_busy', [
        `${def.file} is being changed by another Wave instance: ${why}. Nothing was changed; try again`,
      ]);
    }
    // Making the lock directory is the first write of an update: a full disk is the same 507 as the document's own write.
    const code = (error as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    const reason = describeFileError(error);
    if (phase === 'boot') return new StartupError(`DATA_DIR file ${def.file} (${this.pathOf(def)}) cannot be locked (${lock}): ${reason}`);
    return new WaveError(full ? 507 : 500, full ? 'insufficient_storage' : 'storage_write_failed', [
      `${def.file} could not be saved in DATA_DIR: its lock ${lock} could not be made: ${reason}. Nothing was changed`,
    ]);
  }

  private writeFailed(def: DocumentDefinition<object>, phase: Phase, error: unknown): Error {
    const reason = describeFileError(error);
    if (phase === 'boot') return new StartupError(`DATA_DIR file ${def.file} (${this.pathOf(def)}) cannot be written: ${reason}`);
    const code = (error as NodeJS.ErrnoException).code;
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    return new WaveError(full ? 507 : 500, full ? 'insufficient_storage' : 'storage_write_failed', [
      `${def.file} could not be saved in DATA_DIR: ${reason}. The previous version is kept; nothing was changed`,
    ]);
  }
}

const FILE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of its path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'input/output error',
};

/** "no space left on the device (ENOSPC)": node's own messages name the syscall and the path, not the reason. */
function describeFileError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code && FILE_ERRORS[code]) return `${FILE_ERRORS[code]} (${code})`;
  return message;
}

/** class-validator errors as "path.to.field must be …" lines. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (parent ? `${parent}.${m}` : m));
    return [...own, ...flattenValidationErrors(e.children ?? [], path)];
  });
}
