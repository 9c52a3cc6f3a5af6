import Docker from 'dockerode';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasCommand, isAlive } from './host.js';

/**
 * The Docker engine the medium and e2e tests talk to: the one `DOCKER_HOST` or the default socket
 * reaches (a developer's Docker Desktop, a CI engine), else — as root on Linux — a private dockerd.
 *
 * The private dockerd is shared by every test run on the machine (several engineers run suites at
 * once, and two daemons would fight over the docker0 bridge): each run holds a lease (a file
 * named after its pid) under PRIVATE_DIR; the run that releases the last live lease stops the daemon.
 */
export interface DockerEngine {
  /** DOCKER_HOST value for clients of this engine, e.g. `unix:///tmp/wave-test-dockerd/docker.sock`. */
  readonly host: string;
  /** True when the engine is the private dockerd of the test environment. */
  readonly isPrivate: boolean;
  /** Gives the engine back; stops the private dockerd when no other test run holds a lease. */
  release(): Promise<void>;
}

// In the host's temp dir, not the run's (test/env/run-temp-dir.ts): the daemon is shared between runs.
const PRIVATE_DIR = join(process.env.WAVE_TEST_HOST_TMPDIR ?? tmpdir(), 'wave-test-dockerd');
const SOCKET = join(PRIVATE_DIR, 'docker.sock');
const PID_FILE = join(PRIVATE_DIR, 'docker.pid');
const LEASES = join(PRIVATE_DIR, 'leases');
const LOCK = join(PRIVATE_DIR, 'lock');
/** The log of the daemon now running (each start begins it anew, so it holds one run's story). */
const LOG = join(PRIVATE_DIR, 'dockerd.log');
/** Present when the private dockerd created the docker0 bridge (none was there): it goes when the daemon stops. */
const CREATED_BRIDGE = join(PRIVATE_DIR, 'created-docker0');
const BRIDGE_SYSFS = '/sys/class/net/docker0';
const READY_TIMEOUT_MS = 30_000;

export async function acquireDockerEngine(): Promise<DockerEngine> {
  const outside = outsideEngineHost();
  if (await answers(clientFor(outside))) {
    return { host: outside, isPrivate: false, release: async () => {} };
  }
  if (platform() !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(
      `No Docker engine answers at ${outside}. Start Docker (Docker Desktop, colima, or dockerd) or point ` +
        'DOCKER_HOST at a running engine; a private dockerd is only started automatically as root on Linux.',
    );
  }
  ensureDockerdInstalled();
  await mkdir(LEASES, { recursive: true });
  // One lease per acquisition: a run with two projects (medium + e2e) acquires twice in one process.
  const lease = join(LEASES, `${process.pid}-${randomUUID()}`);
  await withLock(async () => {
    if (!(await answers(privateClient()))) await startPrivateDockerd();
    await writeFile(lease, '');
  });
  return { host: `unix://${SOCKET}`, isPrivate: true, release: () => releasePrivateEngine(lease) };
}

function outsideEngineHost(): string {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const desktopSocket = join(homedir(), '.docker', 'run', 'docker.sock');
  return `unix://${existsSync(desktopSocket) ? desktopSocket : '/var/run/docker.sock'}`;
}

function clientFor(host: string): Docker {
  // docker-modem reads DOCKER_HOST (with TLS settings) itself; a unix socket is passed explicitly.
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length), timeout: 3000 });
  return new Docker({ timeout: 3000 });
}

function privateClient(): Docker {
  return new Docker({ socketPath: SOCKET, timeout: 3000 });
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

function ensureDockerdInstalled(): void {
  if (hasCommand('dockerd')) return;
  try {
    // A fresh machine's package lists may be empty or stale: update them first.
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { stdio: 'ignore', timeout: 300_000 });
  } catch (error) {
    throw new Error(`dockerd is missing and 'apt-get update && apt-get install -y docker.io' failed: ${(error as Error).message}`);
  }
  if (!hasCommand('dockerd')) throw new Error("dockerd is still missing after 'apt-get install -y docker.io'");
}

async function startPrivateDockerd(): Promise<void> {
  await stopPrivateDockerd(); // a daemon left half-alive by a killed run, if any
  if (!existsSync(BRIDGE_SYSFS)) await writeFile(CREATED_BRIDGE, '');
  const log = openSync(LOG, 'w');
  const daemon = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '-H',
      `unix://${SOCKET}`,
      '--data-root',
      join(PRIVATE_DIR, 'root'),
      '--exec-root',
      join(PRIVATE_DIR, 'exec'),
      '--pidfile',
      PID_FILE,
    ],
    // Detached: the daemon outlives this run while other runs still hold leases on it.
    { detached: true, stdio: ['ignore', log, log] },
  );
  daemon.unref();
  closeSync(log);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(privateClient())) return;
    if (daemon.exitCode !== null) break;
    await sleep(100);
  }
  const tail = (await readFile(LOG, 'utf8').catch(() => '')).split('\n').slice(-15);
  throw new Error(`the private dockerd did not answer on ${SOCKET} within ${READY_TIMEOUT_MS} ms:\n${tail.join('\n')}`);
}

async function releasePrivateEngine(lease: string): Promise<void> {
  await withLock(async () => {
    await rm(lease, { force: true });
    if ((await liveLeases()).length > 0) return;
    await stopPrivateDockerd();
    // The daemon's state (vfs layers, containers) goes with it; the next run rebuilds in ~1 s.
    await rm(join(PRIVATE_DIR, 'root'), { recursive: true, force: true });
    await rm(join(PRIVATE_DIR, 'exec'), { recursive: true, force: true });
  });
}

/** Leases whose run is still alive; those of killed runs are removed. */
async function liveLeases(): Promise<string[]> {
  const live: string[] = [];
  for (const lease of await readdir(LEASES).catch(() => [] as string[])) {
    if (isAlive(Number.parseInt(lease, 10))) live.push(lease);
    else await rm(join(LEASES, lease), { force: true });
  }
  return live;
}

async function stopPrivateDockerd(): Promise<void> {
  const pid = Number((await readFile(PID_FILE, 'utf8').catch(() => '')).trim());
  if (pid && isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    // dockerd stops its containers and containerd first; give it time, then insist.
    for (let waited = 0; isAlive(pid); waited += 100) {
      if (waited === 20_000) process.kill(pid, 'SIGKILL');
      if (waited > 25_000) throw new Error(`private dockerd (pid ${pid}) did not exit`);
      await sleep(100);
    }
  }
  await rm(SOCKET, { force: true });
  // dockerd leaves the bridge it made behind; a bridge that was there before (a system engine's) stays.
  if (existsSync(CREATED_BRIDGE)) {
    try {
      execFileSync('ip', ['link', 'delete', 'docker0'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone
    }
    await rm(CREATED_BRIDGE, { force: true });
  }
}

/** A cross-process lock: mkdir is atomic; a lock older than 2 minutes is from a killed run. */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(PRIVATE_DIR, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age =
        Date.now() -
        (await stat(LOCK)
          .then((s) => s.mtimeMs)
          .catch(() => Date.now()));
      if (age > 120_000) await rm(LOCK, { recursive: true, force: true });
      if (attempt > 1200) throw new Error(`could not take ${LOCK} within 2 minutes`);
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}
