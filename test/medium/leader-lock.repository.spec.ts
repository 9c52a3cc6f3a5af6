import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { LEADER_LOCK_FILE, LeaderLockRepository } from '../../src/repositories/leader-lock.repository.js';
import { createDatabase, testEnv } from '../env/index.js';

// The leader lock on its two real backends: one holder at a time, and a holder that dies lets go at once.

const ROOT = resolve(import.meta.dirname, '../..');

function configFor(dataDir: string, databaseUrl?: string): AppConfig {
  return new AppConfig(
    validateEnvironment({ DATA_DIR: dataDir, LOG_DIR: join(dataDir, 'logs'), ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) }),
  );
}

/** A separate node process holding the SQLite file lock until it is killed; resolves once it holds it. */
async function holdFileLockInAnotherProcess(dataDir: string): Promise<{ kill(): Promise<void> }> {
  const script = `
    const SQLite = require(${JSON.stringify(join(ROOT, 'node_modules/better-sqlite3'))});
    const db = new SQLite(${JSON.stringify(join(dataDir, LEADER_LOCK_FILE))}, { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout.once('data', () => res());
    child.once('exit', (code) => rej(new Error(`the lock holder exited (${code})`)));
  });
  return {
    kill: () =>
      new Promise<void>((res) => {
        child.once('exit', () => res());
        child.kill('SIGKILL');
      }),
  };
}

describe('LeaderLockRepository', () => {
  const repositories: LeaderLockRepository[] = [];
  const dirs: string[] = [];
  const open = (config: AppConfig) => {
    const repository = new LeaderLockRepository(config);
    repositories.push(repository);
    return repository;
  };
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wave-medium-leader-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(repositories.splice(0).map((r) => r.release()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  describe('on DATA_DIR (SQLite file lock)', () => {
    it('has one holder at a time; the lock passes on release', async () => {
      const config = configFor(await tempDir());
      const [a, b] = [open(config), open(config)];
      expect(await a.tryAcquire()).toBe(true);
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      expect(await a.stillHeld()).toBe(true);
      expect(await b.stillHeld()).toBe(false);
      await a.release();
      expect(await b.tryAcquire()).toBe(true);
      expect(await a.tryAcquire()).toBe(false);
    });

    it('is free the moment a process holding it is killed with SIGKILL', async () => {
      const dataDir = await tempDir();
      const holder = await holdFileLockInAnotherProcess(dataDir);
      const lock = open(configFor(dataDir));
      expect(await lock.tryAcquire()).toBe(false);
      const killedAt = Date.now();
      await holder.kill();
      expect(await lock.tryAcquire()).toBe(true);
      console.log(`[leader lock, SQLite] taken ${Date.now() - killedAt} ms after the holder was killed`);
    });
  });

  describe('on PostgreSQL (advisory lock)', () => {
    it('has one holder at a time; the lock passes on release', async () => {
      const url = await createDatabase(testEnv.postgresUrl(), 'leader_lock');
      const config = configFor(await tempDir(), url);
      const [a, b] = [open(config), open(config)];
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      expect(await a.stillHeld()).toBe(true);
      await a.release();
      expect(await b.tryAcquire()).toBe(true);
      expect(a.describe()).toBe('a PostgreSQL advisory lock');
    });

    it('a holder whose session ends (the server ended it, as for a dead client) no longer holds it, and another takes it', async () => {
      const url = await createDatabase(testEnv.postgresUrl(), 'leader_lock_end');
      const config = configFor(await tempDir(), url);
      const [a, b] = [open(config), open(config)];
      expect(await a.tryAcquire()).toBe(true);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'wave-leader-lock' and pid <> pg_backend_pid()`,
        );
      } finally {
        await admin.end();
      }
      expect(await b.tryAcquire()).toBe(true);
      expect(await a.stillHeld()).toBe(false);
      expect(await a.tryAcquire()).toBe(false);
    });
  });
});
