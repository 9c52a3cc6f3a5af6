import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/main.js');

export interface WaveServer {
  baseUrl: string;
  socketUrl: string;
  port: number;
  socketPort: number;
  dataDir: string;
  logDir: string;
  env: Record<string, string>;
  /** `node dist/main.js`, or the `command` of the options (its pid is then also its process group). */
  process: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Stop, kill what is left of a `command`'s process group, and remove the temp dirs (unless keepDirs). */
  dispose(): Promise<void>;
}

export interface StartWaveOptions {
  env?: Record<string, string>;
  /** Reuse these dirs (e.g. to restart Wave over the same data). */
  dataDir?: string;
  logDir?: string;
  port?: number;
  socketPort?: number;
  keepDirs?: boolean;
  /** How long to wait for /health/live. */
  timeoutMs?: number;
  /** Discard stdout (benchmarks: a log line per request would pile up here); stderr is still kept. */
  quiet?: boolean;
  /**
   * Run this instead of `node dist/main.js`, from the repo root (e.g. `['npm', 'start']`). It leads its own process
   * group, so a test can signal the group as a terminal's Ctrl-C does, and dispose() kills any process left in it.
   */
  command?: [string, ...string[]];
}

/** Starts the built server (`node dist/main.js`, or `command`) on free ports with temp DATA_DIR/LOG_DIR; resolves when it answers. */
export async function startWave(options: StartWaveOptions = {}): Promise<WaveServer> {
  if (!options.command && !existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before the e2e suites`);
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'wave-data-')));
  const logDir = options.logDir ?? (await mkdtemp(join(tmpdir(), 'wave-logs-')));
  const port = options.port ?? (await freePort());
  const socketPort = options.socketPort ?? (await freePort());
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    SOCKET_PORT: String(socketPort),
    DATA_DIR: dataDir,
    LOG_DIR: logDir,
    WAVE_RATE_LIMIT: '0',
    // The stand-in ingests and radios of the tests listen on loopback, which configured URLs may reach only
    // when allowed (a suite checking the refusal passes its own value).
    WAVE_OUTBOUND_ALLOW: '127.0.0.1',
    ...options.env,
  };
  let output = '';
  const [file, ...args] = options.command ?? [process.execPath, MAIN];
  const child = spawn(file, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', options.quiet ? 'ignore' : 'pipe', 'pipe'],
    detached: options.command !== undefined,
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const baseUrl = `http://127.0.0.1:${port}`;

  const server: WaveServer = {
    baseUrl,
    socketUrl: `http://127.0.0.1:${socketPort}`,
    port,
    socketPort,
    dataDir,
    logDir,
    env,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async dispose() {
      await server.stop();
      if (options.command) killGroup(child.pid!);
      if (!options.keepDirs && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
      if (!options.keepDirs && !options.logDir) await rm(logDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await server.dispose();
      throw new Error(`Wave exited with ${child.exitCode ?? child.signalCode} before answering:\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health/live`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.dispose();
  throw new Error(`Wave did not answer /health/live within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
}

/** SIGKILL to every process left in the group (a child that outlived its parent keeps the group). */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
