import { Injectable, Logger } from '@nestjs/common';
import SQLite from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';

/** The embedded default's lock: a SQLite file beside wave.db, held in an open exclusive transaction. */
export const LEADER_LOCK_FILE = 'wave-leader.lock';
/** The PostgreSQL advisory lock's key ('WAVE' in ASCII): one station per database. */
const ADVISORY_KEY = 0x57415645;
/** Each call to the lock's server is bounded: an election round never hangs. */
const PG_CALL_TIMEOUT_MS = 3_000;

/**
 * The station's leader lock, held by at most one Wave process: a PostgreSQL session advisory lock when DATABASE_URL
 * is set, else an exclusive lock on `DATA_DIR/wave-leader.lock` taken through SQLite (an fcntl lock of the file).
 * Both belong to the holder's connection or process, so a holder that dies (SIGKILL included) lets go at once:
 * the kernel drops the file lock, PostgreSQL ends the session when its socket closes. No lease to renew, no clocks.
 */
@Injectable()
export class LeaderLockRepository {
  private readonly logger = new Logger(LeaderLockRepository.name);
  private client: pg.Client | null = null;
  private file: SQLite.Database | null = null;

  constructor(private readonly config: AppConfig) {}

  /** Where the lock lives, for logs and status. */
  describe(): string {
    return this.config.databaseUrl ? 'a PostgreSQL advisory lock' : `an exclusive lock on DATA_DIR/${LEADER_LOCK_FILE}`;
  }

  /** Takes the lock if nobody holds it; true when this process holds it (also when it already did). Never waits for it. */
  async tryAcquire(): Promise<boolean> {
    return this.config.databaseUrl ? this.tryAdvisoryLock(this.config.databaseUrl) : this.tryFileLock();
  }

  /** Whether this process still holds the lock: for PostgreSQL, whether its session still answers and holds it. */
  async stillHeld(): Promise<boolean> {
    if (!this.config.databaseUrl) return this.file !== null;
    const client = this.client;
    if (!client) return false;
    try {
      const { rows } = await client.query<{ held: boolean }>({
        text: `select exists (select 1 from pg_locks where locktype = 'advisory' and objid = $1 and pid = pg_backend_pid() and granted) as held`,
        values: [ADVISORY_KEY],
      });
      if (rows[0]?.held) return true;
    } catch (error) {
      this.logger.warn(`the leader lock's PostgreSQL session does not answer: ${(error as Error).message}`);
    }
    await this.release();
    return false;
  }

  /** Lets the lock go (ending its session or closing its file). */
  async release(): Promise<void> {
    const { client, file } = this;
    this.client = null;
    this.file = null;
    file?.close();
    if (client) await client.end().catch(() => undefined);
  }

  private async tryAdvisoryLock(url: string): Promise<boolean> {
    if (!this.client) {
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: PG_CALL_TIMEOUT_MS,
        query_timeout: PG_CALL_TIMEOUT_MS,
        // A server that vanished without closing the socket is noticed by the keepalive, not never.
        keepAlive: true,
        keepAliveInitialDelayMillis: 2_000,
        application_name: 'wave-leader-lock',
      });
      // A dropped session is noticed by the next stillHeld(); the error must not crash Wave meanwhile.
      client.on('error', (error) => this.logger.warn(`the leader lock's PostgreSQL session failed: ${error.message}`));
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
    }
    try {
      const { rows } = await this.client.query<{ locked: boolean }>({
        text: 'select pg_try_advisory_lock($1) as locked',
        values: [ADVISORY_KEY],
      });
      return rows[0]?.locked === true;
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  private tryFileLock(): boolean {
    if (this.file) return true;
    // timeout 0: a lock another process holds is SQLITE_BUSY at once, not a wait on the event loop.
    const file = new SQLite(join(this.config.dataDir, LEADER_LOCK_FILE), { timeout: 0 });
    try {
      // The journal in memory: the lock leaves no `-journal` file beside it (nothing is ever written).
      file.pragma('journal_mode = MEMORY');
      file.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      file.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw error;
    }
    this.file = file;
    return true;
  }
}
