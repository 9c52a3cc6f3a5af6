import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { hasCommand } from './host.js';
import { freePort } from './ports.js';

export interface PostgresServer {
  /** The cluster's maintenance database, `postgres://wave@127.0.0.1:<port>/postgres` (trust auth, no password). */
  url: string;
  /** Stops the server (fast shutdown) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'run scripts/setup.sh, or apt-get install -y postgresql (Debian), or brew install postgresql@15 (macOS)';
const READY_TIMEOUT_MS = 20_000;

/**
 * A throwaway PostgreSQL cluster on a free 127.0.0.1 port, in its own directory (data, socket, log) under the
 * run's temp dir; resolves once it accepts connections. No system service is involved: initdb and postgres
 * run directly, as the `postgres` system user when we are root (the server refuses to run as root).
 *
 * Durability settings are PostgreSQL's defaults (fsync on): suites that kill Wave mid-write see what a real
 * server keeps. Only initdb runs with --no-sync: a cluster whose creation an OS crash interrupts is thrown
 * away anyway, and skipping that flush saves ~0.4 s per run.
 */
export async function startPostgresServer(options: { parentDir?: string } = {}): Promise<PostgresServer> {
  const bin = findServerBinaries();
  const owner = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  const parentDir = options.parentDir ?? process.env.WAVE_TEST_RUN_TMPDIR ?? tmpdir();
  if (owner) await letOthersTraverse(parentDir);
  const dir = await mkdtemp(join(parentDir, 'wave-postgres-'));
  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    const data = join(dir, 'data');
    const init = await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'wave', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      owner,
      cwd: dir,
    });
    if (init.code !== 0) {
      throw new Error(
        `initdb failed (exit ${init.code})${owner ? ` as user postgres; every directory above ${dir} must be searchable by it` : ''}:\n${init.output}`,
      );
    }
    // The port comes free from the OS but another process may take it first: a new one, a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const started = await startOn(bin, dir, port, owner);
      if (started.ok) return { url: `postgres://wave@127.0.0.1:${port}/postgres`, stop: stopper(started.child, dir) };
      if (!started.portTaken || attempt === 3) throw new Error(started.reason);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A new empty database on `server` (a PostgresServer or its URL) and its DATABASE_URL. `name` is a readable
 * prefix (lower case letters, digits, `_`); a random suffix makes the name unique, so suites never share one.
 */
export async function createDatabase(server: Pick<PostgresServer, 'url'> | string, name = 'wave'): Promise<string> {
  const base = typeof server === 'string' ? server : server.url;
  const prefix =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'wave';
  const database = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    // The name is made of [a-z0-9_] only; quoted all the same.
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The directory holding initdb and postgres: Debian's /usr/lib/postgresql/<newest>/bin, Homebrew's, or PATH's. */
function findServerBinaries(): string {
  const candidates: string[] = [];
  const versionDirs = (parent: string, pattern: RegExp) =>
    (existsSync(parent) ? readdirSync(parent) : [])
      .filter((entry) => pattern.test(entry))
      .sort((a, b) => Number(b.replace(/\D+/g, '')) - Number(a.replace(/\D+/g, '')))
      .map((entry) => join(parent, entry, 'bin'));
  candidates.push(...versionDirs('/usr/lib/postgresql', /^\d+$/));
  // Homebrew's postgresql@N is keg-only: not on PATH unless linked.
  for (const prefix of ['/opt/homebrew/opt', '/usr/local/opt']) candidates.push(...versionDirs(prefix, /^postgresql@\d+$/));
  if (hasCommand('initdb')) {
    const onPath = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    candidates.push(dirname(realpathSync(onPath)));
  }
  const found = candidates.find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres')));
  if (!found) throw new Error(`PostgreSQL's server (initdb, postgres) is missing: ${INSTALL_HINT}`);
  return found;
}

interface Owner {
  uid: number;
  gid: number;
}

/** The `postgres` system user (made when missing, as Debian's package would), for running the server as root. */
function ensurePostgresUser(): Owner {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync(
        'useradd',
        ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres'],
        {
          stdio: 'ignore',
        },
      );
    } catch (error) {
      throw new Error(`the postgres system user is missing and useradd failed: ${(error as Error).message}`);
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * The run's temp dir is mkdtemp's 0700: the postgres user could not reach its cluster inside. Search permission
 * for others (o+x, not read) is added to that one directory; directories above it are the host's (/tmp is 1777).
 */
async function letOthersTraverse(dir: string): Promise<void> {
  const { mode } = await stat(dir);
  if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
}

function run(command: string, args: string[], options: { owner?: Owner; cwd: string }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      uid: options.owner?.uid,
      gid: options.owner?.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

type StartResult = { ok: true; child: ChildProcess } | { ok: false; portTaken: boolean; reason: string };

async function startOn(bin: string, dir: string, port: number, owner: Owner | undefined): Promise<StartResult> {
  const logFile = join(dir, 'postgres.log');
  const log = openSync(logFile, 'w');
  // Not detached: a Ctrl-C on the run reaches the server too (SIGINT is its fast shutdown).
  const child = spawn(join(bin, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], {
    cwd: dir,
    uid: owner?.uid,
    gid: owner?.gid,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const url = `postgres://wave@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError) return { ok: false, portTaken: false, reason: `could not start ${join(bin, 'postgres')}: ${spawnError.message}` };
    if (child.exitCode !== null || child.signalCode !== null) {
      const output = await readFile(logFile, 'utf8').catch(() => '');
      return {
        ok: false,
        portTaken: /could not (bind|create listen socket)|already in use/i.test(output),
        reason: `postgres exited (${child.exitCode ?? child.signalCode}) before accepting connections on ${port}:\n${output}`,
      };
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return { ok: true, child };
    } catch {
      await client.end().catch(() => {});
      await Promise.race([sleep(50), exited]);
    }
  }
  child.kill('SIGKILL');
  await exited;
  const output = await readFile(logFile, 'utf8').catch(() => '');
  return {
    ok: false,
    portTaken: false,
    reason: `postgres did not accept connections on ${port} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`,
  };
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      // Fast shutdown: open sessions are rolled back and closed, then a checkpoint.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
      await rm(dir, { recursive: true, force: true });
    })());
}

/** The run's one server, as a project's global setup holds it (startPostgresServer's cost is paid once). */
export interface PostgresLease {
  url: string;
  /** True for the lease that started the server; startMs is then how long that took. */
  startedHere: boolean;
  startMs: number;
  /** Gives the server back; the last lease stops it. */
  release(): Promise<void>;
}

interface SharedServer {
  started: Promise<{ server: PostgresServer; startMs: number }>;
  users: number;
}

// On globalThis, not in a module variable: each project (medium, e2e, chaos) loads its global setup for
// itself, all in the one main process of the run.
const SHARED = Symbol.for('wave.test.postgresServer');
const holder = globalThis as { [SHARED]?: SharedServer };

/**
 * The run's PostgreSQL server: the first global setup to ask starts it, the others share it, and the last to
 * release it stops it (teardowns run in reverse order of setups, after every test of every project).
 */
export async function acquirePostgresServer(): Promise<PostgresLease> {
  const startedHere = holder[SHARED] === undefined;
  if (startedHere) {
    const begun = Date.now();
    holder[SHARED] = { users: 0, started: startPostgresServer().then((server) => ({ server, startMs: Date.now() - begun })) };
  }
  const shared = holder[SHARED]!;
  shared.users++;
  let started: { server: PostgresServer; startMs: number };
  try {
    started = await shared.started;
  } catch (error) {
    if (--shared.users === 0 && holder[SHARED] === shared) delete holder[SHARED];
    throw error;
  }
  const { server, startMs } = started;
  let released = false;
  return {
    url: server.url,
    startedHere,
    startMs,
    release: async () => {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      if (holder[SHARED] === shared) delete holder[SHARED];
      await server.stop();
    },
  };
}
