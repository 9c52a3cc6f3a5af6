import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlive } from './host.js';

const PM2_CLI = resolve(import.meta.dirname, '../../node_modules/pm2/bin/pm2');
const KILL_TIMEOUT_MS = 20_000;

export interface Pm2Home {
  /** The PM2_HOME directory (short: PM2's unix sockets live in it). */
  path: string;
  /** Runs the pm2 CLI against this home (as the npm scripts do); resolves with its output. */
  cli(
    args: string[],
    options?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Stops this home's PM2 daemon and its apps (bounded: SIGKILL if `pm2 kill` hangs) and removes the directory. */
  dispose(): Promise<void>;
}

/**
 * A private PM2_HOME in /tmp, so tests never touch a user's PM2. The PM2 daemon outlives the client
 * that launched it, so each suite calls dispose() in afterAll. Created under the OS temp dir rather than
 * the run's temp base because unix socket paths must stay short.
 */
export async function createPm2Home(): Promise<Pm2Home> {
  const path = await mkdtemp(join(tmpdir(), 'wave-pm2-'));
  const cli: Pm2Home['cli'] = (args, options = {}) =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [PM2_CLI, ...args],
        { cwd: options.cwd, env: { ...process.env, ...options.env, PM2_HOME: path }, timeout: options.timeoutMs ?? KILL_TIMEOUT_MS },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          done({ stdout, stderr, code });
        },
      );
    });
  return {
    path,
    cli,
    async dispose() {
      const daemonPid = await readPid(join(path, 'pm2.pid'));
      if (daemonPid !== null && isAlive(daemonPid)) {
        await cli(['kill']);
        if (isAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
      }
      await rm(path, { recursive: true, force: true });
    },
  };
}

async function readPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
