import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WaveError } from '../common/wave-error.js';
import { FileLockRepository } from '../repositories/file-lock.repository.js';
import { Database, databaseError, redactUrl } from './database.js';

describe('databaseError', () => {
  it.each([
    [{ code: 'SQLITE_FULL', message: 'database or disk is full' }, 507, 'insufficient_storage'],
    [{ code: '53100', message: 'could not extend file' }, 507, 'insufficient_storage'],
    [{ code: 'SQLITE_BUSY', message: 'database is locked' }, 503, 'database_busy'],
    [{ code: 'SQLITE_BUSY_SNAPSHOT', message: 'database is locked' }, 503, 'database_busy'],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 503, 'database_busy'],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 503, 'database_unavailable'],
    [{ message: 'Connection terminated due to connection timeout' }, 503, 'database_unavailable'],
    [{ code: '23505', message: 'duplicate key value violates unique constraint' }, 500, 'database_error'],
    [{ code: { nested: true }, message: 'odd' }, 500, 'database_error'],
  ])('maps %j to %i %s', (error, status, code) => {
    expect(databaseError(Object.assign(new Error(error.message), error))).toMatchObject({ status, code });
  });

  it('passes a WaveError through as it is', () => {
    const rule = new WaveError(404, 'track_not_found', 'No track');
    expect(databaseError(rule)).toBe(rule);
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://wave:s3cret@db.lan:5432/wave', 'postgres://wave@db.lan:5432/wave'],
    ['postgresql://db.lan/wave?sslmode=require', 'postgresql://db.lan/wave?sslmode=require'],
    ['postgres://wave:s3cret@[not-a-host/wave', 'postgres://(unparsable URL)'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain('s3cret');
  });
});

describe('Database.open on SQLite', () => {
  it('makes DATA_DIR/wave.db, applies the migrations once, and answers ping', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wave-db-spec-'));
    try {
      const first = await Database.open({ dataDir });
      await first.ping();
      expect(first).toMatchObject({ dialect: 'sqlite', location: join(dataDir, 'wave.db') });
      await first.onApplicationShutdown();
      const again = await Database.open({ dataDir });
      const applied = await again.db
        .selectFrom('kysely_migration' as never)
        .selectAll()
        .execute();
      expect(applied.map((m) => (m as { name: string }).name)).toEqual([
        '0001-library',
        '0002-play-history',
        '0003-library-at-scale',
        '0004-programme',
        '0005-sound',
        '0006-webhooks',
      ]);
      await again.onApplicationShutdown();
      // Closed cleanly: SQLite folds its WAL back into the file.
      expect((await readdir(dataDir)).sort()).toEqual(['wave.db']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('migrates one instance after the other when several open one new wave.db at once (under the file lock the app passes)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wave-db-spec-'));
    const locks = new FileLockRepository();
    const exclusive = (file: string, migrate: () => Promise<void>) => locks.withLock(file, migrate);
    try {
      const opened = await Promise.all([1, 2, 3].map(() => Database.open({ dataDir }, { exclusive })));
      for (const database of opened) await database.ping();
      const applied = await opened[0].db
        .selectFrom('kysely_migration' as never)
        .selectAll()
        .execute();
      expect(applied).toHaveLength(6);
      for (const database of opened) await database.onApplicationShutdown();
      expect((await readdir(dataDir)).sort()).toEqual(['wave.db']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
