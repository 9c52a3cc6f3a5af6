import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { IsArray, IsInt, IsString, Max, Min } from 'class-validator';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartupError } from '../common/startup-error.js';
import { WaveError } from '../common/wave-error.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { AppConfig } from '../config/app-config.js';
import { DocumentDefinition, DocumentStore, DocumentValidationError } from './document-store.service.js';
import type { WritableFile } from '../repositories/durable-file.js';
import { validateEnvironment } from '../config/env.validation.js';
import { FileLockRepository, type FileLockTimings } from '../repositories/file-lock.repository.js';
import { FakeFileLockRepository } from '../../test/fakes/file-lock.repository.fake.js';

class CounterDocument {
  @IsString() name!: string;
  @IsInt() @Min(0) @Max(1_000_000) count!: number;
  @IsArray() @IsInt({ each: true }) items!: number[];
}
const COUNTER: DocumentDefinition<CounterDocument> = {
  file: 'counter.json',
  schema: CounterDocument,
  defaults: () => ({ name: 'counter', count: 0, items: [] }),
};

/** How a fake file system misbehaves when writing a temp file (node's calls otherwise). */
interface Fault {
  write?(real: WritableFile, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  size?(real: number): number;
  rename?(): Promise<void>;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected by the test`), { code });
}

/** The storage repository on the real disk, with `fault()` (when it returns one) applied to temp-file writes. */
class FaultyStorage extends StorageRepository {
  constructor(private readonly fault: () => Fault | null) {
    super();
  }

  override async open(path: string, flags: string, mode?: number): Promise<WritableFile> {
    const real = await super.open(path, flags, mode);
    return {
      write: (buffer, offset, length, position) =>
        this.fault()?.write?.(real, buffer, offset, length, position) ?? real.write(buffer, offset, length, position),
      sync: () => real.sync(),
      stat: async () => {
        const { size } = await real.stat();
        return { size: this.fault()?.size?.(size) ?? size };
      },
      close: () => real.close(),
    };
  }

  override rename(from: string, to: string): Promise<void> {
    return this.fault()?.rename?.() ?? super.rename(from, to);
  }
}

/** A tmpfs with `free` bytes left: write(2) stores what fits and reports that count; the next call fails ENOSPC. */
function diskWithFree(free: number): Fault {
  return {
    async write(real, buffer, offset, length, position) {
      if (free === 0) throw errno('ENOSPC');
      const fits = Math.min(length, free);
      free -= fits;
      return real.write(buffer, offset, fits, position);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('DocumentStore', () => {
  let dir: string;
  let config: AppConfig;
  let store: DocumentStore;
  let fault: Fault | null;

  /** A store as Nest starts it: the document checked (and temp files removed) at boot. */
  async function boot(): Promise<DocumentStore> {
    const booted = new DocumentStore(config, new FaultyStorage(() => fault), new FileLockRepository(), [COUNTER]);
    await booted.onModuleInit();
    return booted;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-store-'));
    config = new AppConfig(validateEnvironment({ DATA_DIR: dir, LOG_DIR: dir }));
    fault = null;
    store = new DocumentStore(config, new FaultyStorage(() => fault), new FileLockRepository());
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing document with its defaults', async () => {
    expect(await store.read(COUNTER)).toEqual({ name: 'counter', count: 0, items: [] });
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual({ name: 'counter', count: 0, items: [] });
  });

  it('keeps every acknowledged write of 200 concurrent updates', async () => {
    const writes = Array.from({ length: 200 }, (_, i) =>
      store.update(COUNTER, (doc) => ({ ...doc, count: doc.count + 1, items: [...doc.items, i] })),
    );
    await Promise.all(writes);
    const onDisk = JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8')) as CounterDocument;
    expect(onDisk.count).toBe(200);
    expect([...onDisk.items].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await readdir(dir)).filter((f) => f !== 'counter.json')).toEqual([]);
  });

  it('writes nothing when the update breaks the schema or throws', async () => {
    await store.update(COUNTER, (doc) => ({ ...doc, count: 5 }));
    const before = await readFile(join(dir, 'counter.json'), 'utf8');
    await expect(store.update(COUNTER, (doc) => ({ ...doc, count: -1 }))).rejects.toBeInstanceOf(DocumentValidationError);
    await expect(
      store.update(COUNTER, () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe(before);
  });

  it('moves a corrupt file aside at boot and starts from defaults', async () => {
    await writeFile(join(dir, 'counter.json'), '{"name": "counter", "count": ');
    store = await boot();
    expect(await store.read(COUNTER)).toEqual(COUNTER.defaults());
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('counter.json.corrupt-'));
    expect(aside).toMatch(/^counter\.json\.corrupt-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
    expect(await readFile(join(dir, aside!), 'utf8')).toBe('{"name": "counter", "count": ');
  });

  it('moves aside at boot a file that parses but fails its schema', async () => {
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 'many', items: [] }));
    store = await boot();
    expect(await store.read(COUNTER)).toEqual(COUNTER.defaults());
    expect((await readdir(dir)).some((f) => f.startsWith('counter.json.corrupt-'))).toBe(true);
  });

  it('sees a file changed by another writer', async () => {
    await store.read(COUNTER);
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'edited by hand', count: 7, items: [1] }));
    expect((await store.read(COUNTER)).name).toBe('edited by hand');
  });

  it.each(['null', '[]', '"counter"', '42'])('moves aside at boot, and logs, a document holding %s', async (text) => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await writeFile(join(dir, 'counter.json'), text);
    store = await boot();
    expect(await store.read(COUNTER)).toEqual(COUNTER.defaults());
    const aside = (await readdir(dir)).filter((f) => f.startsWith('counter.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0]), 'utf8')).toBe(text);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^counter\.json is unreadable \(the document must be a JSON object.*moved it aside/),
    );
  });

  it.each([
    ['a fragment', '{"name": "counter", "cou'],
    ['null', 'null'],
    ['a schema violation', JSON.stringify({ name: 'counter', count: -3, items: [] })],
  ])('a document that turns into %s while running fails the request and is never reset', async (_what, text) => {
    store = await boot();
    await store.update(COUNTER, (doc) => ({ ...doc, count: 3, items: [1, 2, 3] }));
    await writeFile(join(dir, 'counter.json'), text);
    for (const call of [() => store.read(COUNTER), () => store.update(COUNTER, (doc) => ({ ...doc, count: doc.count + 1 }))]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(WaveError);
      expect((error as WaveError).getStatus()).toBe(500);
      expect((error as WaveError).code).toBe('document_unreadable');
      expect(error.message).toContain('counter.json');
    }
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['counter.json']);
    // Fixed by hand, it is used again.
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 3, items: [1, 2, 3] }));
    expect((await store.read(COUNTER)).count).toBe(3);
  });

  it('keeps no JSON text in the reason of a document that does not parse (the Telegram config holds a key)', async () => {
    store = await boot();
    await writeFile(join(dir, 'counter.json'), '{"streamKey": "secret-key-1234" oops');
    const error = await rejection(store.read(COUNTER));
    expect(error.message).toContain('not valid JSON');
    expect(error.message).not.toContain('secret-key-1234');
  });

  it('a write cut short by a full disk keeps the previous file and answers 507 insufficient_storage', async () => {
    store = await boot();
    const before = await store.update(COUNTER, (doc) => ({ ...doc, items: Array.from({ length: 100 }, (_, i) => i) }));
    const text = await readFile(join(dir, 'counter.json'), 'utf8');
    // Room for 4 KiB of a ~10 KiB document: the first write(2) stores 4096 bytes and says so.
    fault = diskWithFree(4096);
    const error = await rejection(store.update(COUNTER, (doc) => ({ ...doc, count: 1, items: Array.from({ length: 2000 }, (_, i) => i) })));
    expect(error).toBeInstanceOf(WaveError);
    expect((error as WaveError).getStatus()).toBe(507);
    expect((error as WaveError).code).toBe('insufficient_storage');
    expect(error.message).toMatch(/counter\.json could not be saved.*no space left on the device \(ENOSPC\)/);
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['counter.json']);
    fault = null;
    expect(await store.read(COUNTER)).toEqual(before);
  });

  it('continues a write(2) that stored only part of what it was given until every byte is on disk', async () => {
    store = await boot();
    let calls = 0;
    // 100 bytes per call, as a write interrupted by a signal may report.
    fault = { write: (real, buffer, offset, length, position) => (calls++, real.write(buffer, offset, Math.min(length, 100), position)) };
    const saved = await store.update(COUNTER, (doc) => ({ ...doc, items: Array.from({ length: 500 }, (_, i) => i) }));
    expect(calls).toBeGreaterThan(10);
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual(saved);
  });

  it('answers 507 for a used-up quota (EDQUOT) too', async () => {
    store = await boot();
    fault = { write: () => Promise.reject(errno('EDQUOT')) };
    const error = (await rejection(store.update(COUNTER, (doc) => ({ ...doc, count: 1 })))) as WaveError;
    expect([error.getStatus(), error.code]).toEqual([507, 'insufficient_storage']);
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual(COUNTER.defaults());
  });

  it.each<[string, Fault]>([
    ['a write that stores 0 bytes without an error', { write: async () => ({ bytesWritten: 0 }) }],
    ['a file smaller after fsync than what was written', { size: (real) => real - 1 }],
    ['a rename that fails', { rename: () => Promise.reject(errno('EACCES')) }],
    ['an I/O error', { write: () => Promise.reject(errno('EIO')) }],
  ])('%s keeps the previous file and answers 500 storage_write_failed', async (_what, injected) => {
    store = await boot();
    await store.update(COUNTER, (doc) => ({ ...doc, count: 7 }));
    const text = await readFile(join(dir, 'counter.json'), 'utf8');
    fault = injected;
    const error = (await rejection(store.update(COUNTER, (doc) => ({ ...doc, count: 8 })))) as WaveError;
    expect(error).toBeInstanceOf(WaveError);
    expect([error.getStatus(), error.code]).toEqual([500, 'storage_write_failed']);
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['counter.json']);
    fault = null;
    expect((await store.read(COUNTER)).count).toBe(7);
  });

  it('removes at boot the temp files interrupted writes left, and only those', async () => {
    const warned = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 2, items: [] }));
    const orphans = [
      'counter.json.1234567890', // write-file-atomic's name, from before
      'counter.json.tmp-99999999-3', // a process that no longer runs (no pid is that high)
      `counter.json.tmp-${process.pid}-9`, // this process, before it wrote anything
    ];
    const kept = [
      `counter.json.tmp-${process.ppid}-1`,
      'counter.json.corrupt-2026-01-01T00-00-00-000Z',
      'other.json.1234',
      'counter.json.bak',
    ];
    for (const name of [...orphans, ...kept]) await writeFile(join(dir, name), '{"streamKey": "left behind"}');
    store = await boot();
    expect((await readdir(dir)).sort()).toEqual(['counter.json', ...kept].sort());
    expect((await store.read(COUNTER)).count).toBe(2);
    expect(warned).toHaveBeenCalledWith(expect.stringContaining('removed 3 temp file(s) left by interrupted writes of counter.json'));
  });

  it('a data file that is a directory stops the boot with one line naming it', async () => {
    await mkdir(join(dir, 'counter.json'));
    const error = await rejection(boot());
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toBe(
      `DATA_DIR file counter.json (${join(dir, 'counter.json')}) cannot be read: it is a directory, not a file (EISDIR)`,
    );
  });

  it('a missing document that cannot be written at boot stops it with one line naming it', async () => {
    fault = diskWithFree(0);
    const error = await rejection(boot());
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toMatch(/^DATA_DIR file counter\.json \(.*\) cannot be written: no space left on the device \(ENOSPC\)$/);
    expect(await readdir(dir)).toEqual([]);
  });
});

/**
 * Several Wave processes on one DATA_DIR, played by several stores in this process: each has its own in-process
 * mutex, cache and FileLockRepository, so only the cross-process lock (`counter.json.lock`) keeps them apart.
 */
describe('DocumentStore shared by several instances', () => {
  let dir: string;
  let config: AppConfig;
  const instance = (timings?: Partial<FileLockTimings>) =>
    new DocumentStore(config, new StorageRepository(), new FileLockRepository(timings));
  const lockDir = () => join(dir, 'counter.json.lock');
  const onDisk = async () => JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8')) as CounterDocument;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-store-shared-'));
    config = new AppConfig(validateEnvironment({ DATA_DIR: dir, LOG_DIR: dir }));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  /** 200 concurrent increments split between two stores; the items each acknowledged update added. */
  async function splitUpdates(a: DocumentStore, b: DocumentStore): Promise<{ acknowledged: number[]; stored: CounterDocument }> {
    const acknowledged: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? a : b)
          .update(COUNTER, (doc) => ({ ...doc, count: doc.count + 1, items: [...doc.items, i] }))
          .then(() => acknowledged.push(i)),
      ),
    );
    return { acknowledged, stored: await onDisk() };
  }

  it('keeps every acknowledged write of 200 concurrent updates split between two instances, and leaves no lock behind', async () => {
    const { acknowledged, stored } = await splitUpdates(instance(), instance());
    expect(acknowledged).toHaveLength(200);
    expect(stored.count).toBe(200);
    expect([...stored.items].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(await readdir(dir)).toEqual(['counter.json']);
  });

  it('loses acknowledged writes without the cross-process lock (what the lock is for)', async () => {
    const noLock = new FakeFileLockRepository();
    // Each "instance" its own fake: nothing is shared between them, as with a per-process mutex alone.
    const a = new DocumentStore(config, new StorageRepository(), noLock);
    const b = new DocumentStore(config, new StorageRepository(), new FakeFileLockRepository());
    const { acknowledged, stored } = await splitUpdates(a, b);
    expect(acknowledged).toHaveLength(200);
    expect(stored.items.length).toBeLessThan(200);
  });

  it('sees a write of another instance that left the size and the mtime as they were', async () => {
    const [a, b] = [instance(), instance()];
    await a.update(COUNTER, (doc) => ({ ...doc, name: 'aaaa' }));
    expect((await a.read(COUNTER)).name).toBe('aaaa');
    const before = await stat(join(dir, 'counter.json'));
    await b.update(COUNTER, (doc) => ({ ...doc, name: 'bbbb' }));
    // The same size, and (mtimes are coarse) possibly the same mtime: only the inode tells.
    await utimes(join(dir, 'counter.json'), before.atime, before.mtime);
    expect((await a.read(COUNTER)).name).toBe('bbbb');
  });

  it('answers 503 document_busy, changing nothing, while another instance holds the lock past the wait', async () => {
    const store = instance({ staleMs: 10_000, waitMs: 300 });
    await store.update(COUNTER, (doc) => ({ ...doc, count: 1 }));
    await mkdir(lockDir());
    const started = Date.now();
    const error = (await rejection(store.update(COUNTER, (doc) => ({ ...doc, count: 2 })))) as WaveError;
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(WaveError);
    expect([error.getStatus(), error.code]).toEqual([503, 'document_busy']);
    expect(error.getResponse()).toMatchObject({
      code: 'document_busy',
      message: [
        expect.stringMatching(/^counter\.json is being changed by another Wave instance: counter\.json\.lock is held.*Nothing was changed/),
      ],
    });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect((await onDisk()).count).toBe(1);
    // The lock is the other instance's: left as it is; reads do not need it.
    expect((await readdir(dir)).sort()).toEqual(['counter.json', 'counter.json.lock']);
    expect((await store.read(COUNTER)).count).toBe(1);
  });

  it('takes over at once a lock whose holder stopped refreshing it longer ago than the stale time (a SIGKILL)', async () => {
    const store = instance({ staleMs: 2_000, waitMs: 300 });
    await mkdir(lockDir());
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lockDir(), longAgo, longAgo);
    expect((await store.update(COUNTER, (doc) => ({ ...doc, count: 5 }))).count).toBe(5);
    expect(await readdir(dir)).toEqual(['counter.json']);
  });

  it('waits at boot for a lock just left by a crash to go stale, then takes it over', async () => {
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 4, items: [] }));
    await mkdir(lockDir());
    const started = Date.now();
    const store = new DocumentStore(
      config,
      new StorageRepository(),
      new FileLockRepository({ staleMs: 2_000, waitMs: 100, patientWaitMs: 6_000 }),
      [COUNTER],
    );
    await store.onModuleInit();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect((await store.read(COUNTER)).count).toBe(4);
    expect(await readdir(dir)).toEqual(['counter.json']);
  });

  it("creates a missing document under the lock: a reader never writes defaults over another instance's update", async () => {
    const locks = new FakeFileLockRepository();
    const store = new DocumentStore(config, new StorageRepository(), locks);
    await store.read(COUNTER);
    expect(locks.acquired.get(join(dir, 'counter.json'))).toBe(1);
    // An existing file is read without it.
    await store.read(COUNTER);
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 9, items: [] }));
    expect((await store.read(COUNTER)).count).toBe(9);
    expect(locks.acquired.get(join(dir, 'counter.json'))).toBe(1);
  });

  it('a lock that cannot be made on a full disk answers 507 insufficient_storage and changes nothing', async () => {
    const locks = new FakeFileLockRepository();
    const store = new DocumentStore(config, new StorageRepository(), locks);
    await store.update(COUNTER, (doc) => ({ ...doc, count: 3 }));
    locks.failWith = 'ENOSPC';
    const error = (await rejection(store.update(COUNTER, (doc) => ({ ...doc, count: 4 })))) as WaveError;
    expect([error.getStatus(), error.code]).toEqual([507, 'insufficient_storage']);
    expect(error.message).toMatch(/counter\.json could not be saved.*counter\.json\.lock.*no space left on the device \(ENOSPC\)/);
    expect((await onDisk()).count).toBe(3);
  });
});
