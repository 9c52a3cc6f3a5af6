import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import SQLite from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { join } from 'node:path';
import pg from 'pg';
import { StartupError } from '../common/startup-error.js';
import { WaveError } from '../common/wave-error.js';
import type { AppConfig } from '../config/app-config.js';
import { migrationsFor } from './migrations/index.js';
import type { WaveDatabase } from './schema.js';

/** The embedded default: `DATA_DIR/<file>` (with SQLite's `-wal` and `-shm` beside it). */
export const SQLITE_FILE = 'wave.db';

/** A lock another connection holds (SQLite) is waited for this long before the request fails with 503. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** Bounds on every PostgreSQL call: connecting, one statement, and the whole query as the client sees it. */
const PG_CONNECT_TIMEOUT_MS = 5_000;
const PG_STATEMENT_TIMEOUT_MS = 10_000;
const PG_QUERY_TIMEOUT_MS = 15_000;
const PG_POOL_SIZE = 10;

export type DatabaseDialect = 'sqlite' | 'postgres';

/**
 * The one connection to the library's database: SQLite in DATA_DIR, or PostgreSQL with DATABASE_URL.
 * Repositories are the only code that queries it (through `db`); they map its failures with `databaseError`.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);

  private constructor(
    readonly db: Kysely<WaveDatabase>,
    readonly dialect: DatabaseDialect,
    /** Where it is, without credentials: for logs and status. */
    readonly location: string,
  ) {}

  /**
   * Opens the database and applies every migration not yet applied. On PostgreSQL, Kysely's Migrator locks against
   * other instances; on SQLite it has no lock (it counts on one connection), so two instances booting together on one
   * wave.db both created its tables (`table "tracks" already exists`): there `exclusive` (the app passes the file's
   * cross-process lock) runs the migrations, one instance after the other.
   */
  static async open(
    config: Pick<AppConfig, 'dataDir' | 'databaseUrl'>,
    options: { exclusive?: (file: string, migrate: () => Promise<void>) => Promise<void> } = {},
  ): Promise<Database> {
    let database: Database;
    try {
      database = config.databaseUrl ? Database.postgres(config.databaseUrl) : Database.sqlite(join(config.dataDir, SQLITE_FILE));
    } catch (error) {
      // SQLite opens at once: a file that is not a database, or a folder Wave cannot write.
      throw new StartupError(`the database ${join(config.dataDir, SQLITE_FILE)} cannot be opened: ${(error as Error).message}`);
    }
    try {
      if (database.dialect === 'sqlite' && options.exclusive) await options.exclusive(database.location, () => database.migrate());
      else await database.migrate();
    } catch (error) {
      await database.db.destroy();
      if (error instanceof StartupError) throw error;
      throw new StartupError(`the database ${database.location} could not be migrated: ${(error as Error).message}`);
    }
    return database;
  }

  private static sqlite(file: string): Database {
    const connection = new SQLite(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    // WAL: readers never wait for the writer. synchronous=FULL: a commit is on the disk before it is acknowledged.
    connection.pragma('journal_mode = WAL');
    connection.pragma('synchronous = FULL');
    connection.pragma('foreign_keys = ON');
    return new Database(new Kysely<WaveDatabase>({ dialect: new RollbackSafeSqliteDialect({ database: connection }) }), 'sqlite', file);
  }

  private static postgres(url: string): Database {
    const pool = new pg.Pool({
      connectionString: url,
      max: PG_POOL_SIZE,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      statement_timeout: PG_STATEMENT_TIMEOUT_MS,
      query_timeout: PG_QUERY_TIMEOUT_MS,
    });
    const logger = new Logger(Database.name);
    // An idle connection the server dropped must not crash Wave; the next query opens a new one.
    pool.on('error', (error) => logger.warn(`PostgreSQL connection lost: ${error.message}`));
    return new Database(new Kysely<WaveDatabase>({ dialect: new PostgresDialect({ pool }) }), 'postgres', redactUrl(url));
  }

  private async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: () => Promise.resolve(migrationsFor(this.dialect)) } });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Success') this.logger.log(`Migration ${result.migrationName} applied (${this.dialect})`);
      if (result.status === 'Error') this.logger.error(`Migration ${result.migrationName} failed (${this.dialect})`);
    }
    if (error) {
      const hint = this.dialect === 'postgres' ? ' (check DATABASE_URL, and that the server runs and takes connections)' : '';
      throw new StartupError(`the database ${this.location} could not be opened and migrated: ${(error as Error).message}${hint}`);
    }
  }

  /** Asks the database for `select 1` (bounded by the timeouts above); rejects with databaseError's error. */
  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (error) {
      throw databaseError(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL among them); Kysely's ROLLBACK then fails
 * with "no transaction is active", and that error replaced the one that said why (a full disk answered 500).
 *
 * Transactions begin IMMEDIATE: with two Wave processes on one wave.db, a deferred transaction that reads and then
 * writes fails at once with SQLITE_BUSY_SNAPSHOT when the other process committed in between (SQLite never waits
 * there: its snapshot is stale), which answered 500 for ~1 in 4 of 200 concurrent adds. IMMEDIATE takes the write
 * lock first, so the busy timeout applies and the transaction reads the latest commit.
 */
class RollbackSafeSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      try {
        await rollback(connection);
      } catch (error) {
        if (!/no transaction is active/.test((error as Error).message)) throw error;
      }
    };
    return driver;
  }
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`: the location without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** SQLite's and PostgreSQL's codes for a full disk, a lock held too long, and a server that cannot be reached. */
const DISK_FULL = new Set(['SQLITE_FULL', '53100']);
const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', '55P03', '57014', '40001', '40P01']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03', '08006', '08001']);

/**
 * A failed query as the caller's answer: 507 when the disk is full, 503 when the database is busy or away,
 * 500 otherwise; in every case nothing was acknowledged. A WaveError (a rule a repository checked) passes through.
 */
export function databaseError(error: unknown): Error {
  if (error instanceof WaveError) return error;
  const raw = (error as { code?: unknown }).code;
  const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  const message = (error as Error).message ?? String(error);
  if (DISK_FULL.has(code))
    return new WaveError(507, 'insufficient_storage', `The database could not be written: the disk is full (${code})`);
  // SQLite's extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT, SQLITE_LOCKED_SHAREDCACHE) are busy too.
  if (BUSY.has(code) || /^SQLITE_(BUSY|LOCKED)_/.test(code))
    return new WaveError(503, 'database_busy', `The database is busy; try again (${code})`);
  if (UNREACHABLE.has(code) || /timeout|Connection terminated/i.test(message)) {
    return new WaveError(503, 'database_unavailable', `The database is unreachable: ${message}`);
  }
  return new WaveError(500, 'database_error', `The database failed: ${message}`);
}
