import 'reflect-metadata';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppConfig } from '../config/app-config.js';
import { validateEnvironment } from '../config/env.validation.js';
import { FileLockRepository } from '../repositories/file-lock.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { INGEST_KEY_FILE, RtmpIngestKeys } from './ingest-keys.js';

/** Several Wave instances booting together on one DATA_DIR, each with its own RtmpIngestKeys (and lock repository). */
describe('RtmpIngestKeys shared by several instances', () => {
  let dir: string;
  const instance = () =>
    new RtmpIngestKeys(
      new AppConfig(validateEnvironment({ DATA_DIR: dir, LOG_DIR: dir })),
      new StorageRepository(),
      new FileLockRepository(),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-ingest-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('agree on one key when they create it at once', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => instance().load()));
    const stored = (await readFile(join(dir, INGEST_KEY_FILE), 'utf8')).trim();
    expect(keys.map((key) => key.toString('hex'))).toEqual(keys.map(() => stored));
  });

  it('wait for the instance that holds the lock while writing the key, rather than read it half made', async () => {
    const path = join(dir, INGEST_KEY_FILE);
    // Another instance: the lock taken, the file created, the key not in it yet.
    await mkdir(`${path}.lock`);
    await writeFile(path, '');
    const loading = instance().load();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const key = 'ab'.repeat(32);
    await writeFile(path, `${key}\n`);
    await rmdir(`${path}.lock`);
    expect((await loading).toString('hex')).toBe(key);
  });
});
