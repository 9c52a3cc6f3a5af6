import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { startWave } from '../env/wave-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCUMENTS = ['audio-tracks.json', 'streaming-config.json', 'telegram-config.json'];
/** A stack frame as node prints it. */
const STACK_FRAME = /^\s+at .+/m;

/** `node dist/main.js` with `env`, expected to stop by itself: its exit code and what it printed. */
async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'test',
      PORT: String(await freePort()),
      SOCKET_PORT: String(await freePort()),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * Boot with what crashes, interrupted writes and operators leave behind: paths that are files, a data
 * file that is a directory, documents holding `null` or `[]`, temp copies of the Telegram config
 * (with the stream key inside). Each case is a fresh `node dist/main.js`.
 */
describe('boot with leftovers and wrong paths', () => {
  let dir: string;
  let dataDir: string;
  let logDir: string;
  let pm2Home: string;
  let aFile: string;

  beforeEach(async () => {
    dir = await makeTempDir('chaos-boot');
    dataDir = join(dir, 'data');
    logDir = join(dir, 'logs');
    pm2Home = join(dir, 'pm2');
    aFile = join(dir, 'a-file');
    await writeFile(aFile, 'not a directory\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it.each(['DATA_DIR', 'LOG_DIR', 'PM2_HOME'])('%s pointing at a file: one line naming it, exit 1', async (variable) => {
    const { code, stdout, stderr } = await runUntilExit({ DATA_DIR: dataDir, LOG_DIR: logDir, PM2_HOME: pm2Home, [variable]: aFile });
    expect(code).toBe(1);
    expect(stderr).toBe(`Wave cannot start, invalid environment: ${variable}: ${aFile} is a file, not a directory\n`);
    expect(stdout + stderr).not.toMatch(STACK_FRAME);
  });

  it("PM2's cluster mode (its workers share one port): one line saying to run fork-mode instances, exit 1", async () => {
    const { code, stdout, stderr } = await runUntilExit({
      DATA_DIR: dataDir,
      LOG_DIR: logDir,
      PM2_HOME: pm2Home,
      exec_mode: 'cluster_mode',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Wave cannot start: PM2's cluster mode shares one PORT between instances, .* run several fork-mode instances/);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stdout + stderr).not.toMatch(STACK_FRAME);
  });

  it('a DATABASE_URL nothing answers at: one line naming it without its password, exit 1', async () => {
    const port = await freePort();
    const url = `postgres://wave:db-secret-123@127.0.0.1:${port}/wave`;
    const { code, stdout, stderr } = await runUntilExit({ DATA_DIR: dataDir, LOG_DIR: logDir, PM2_HOME: pm2Home, DATABASE_URL: url });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `Wave cannot start: the database postgres://wave@127.0.0.1:${port}/wave could not be opened and migrated: connect ECONNREFUSED 127.0.0.1:${port} (check DATABASE_URL, and that the server runs and takes connections)\n`,
    );
    expect(stdout + stderr).not.toMatch(STACK_FRAME);
    expect(stdout + stderr).not.toContain('db-secret-123');
  });

  it('DATA_DIR/wave.db that is not a database: one line naming it, exit 1, the file left as it is', async () => {
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'wave.db'), 'not a database\n');
    const { code, stdout, stderr } = await runUntilExit({ DATA_DIR: dataDir, LOG_DIR: logDir, PM2_HOME: pm2Home });
    expect(code).toBe(1);
    expect(stderr).toBe(`Wave cannot start: the database ${join(dataDir, 'wave.db')} cannot be opened: file is not a database\n`);
    expect(stdout + stderr).not.toMatch(STACK_FRAME);
    expect(await readFile(join(dataDir, 'wave.db'), 'utf8')).toBe('not a database\n');
  });

  it.each(DOCUMENTS)('DATA_DIR/%s being a directory: one line naming it, exit 1', async (file) => {
    await mkdir(join(dataDir, file), { recursive: true });
    const { code, stdout, stderr } = await runUntilExit({ DATA_DIR: dataDir, LOG_DIR: logDir, PM2_HOME: pm2Home });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `Wave cannot start: DATA_DIR file ${file} (${join(dataDir, file)}) cannot be read: it is a directory, not a file (EISDIR)\n`,
    );
    expect(stdout + stderr).not.toMatch(STACK_FRAME);
  });

  it.each(DOCUMENTS.flatMap((file) => ['null', '[]'].map((text) => [file, text])))(
    '%s holding %s is moved aside and logged',
    async (file, text) => {
      await mkdir(dataDir, { recursive: true });
      await writeFile(join(dataDir, file), text);
      const wave = await startWave({ dataDir, logDir, env: { PM2_HOME: pm2Home } });
      try {
        const aside = (await readdir(dataDir)).filter((f) => f.startsWith(`${file}.corrupt-`));
        expect(aside).toHaveLength(1);
        expect(await readFile(join(dataDir, aside[0]), 'utf8')).toBe(text);
        // Replaced by the defaults: an object again.
        const replaced: unknown = JSON.parse(await readFile(join(dataDir, file), 'utf8'));
        expect(replaced !== null && typeof replaced === 'object' && !Array.isArray(replaced)).toBe(true);
        expect((await call(wave, 'GET', '/api/tracks')).status).toBe(200);
      } finally {
        await wave.dispose();
      }
      const logged = (await readFile(join(logDir, 'wave.log'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; message: string });
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringMatching(
            new RegExp(`^${file.replace('.', '\\.')} is unreadable \\(the document must be a JSON object.*moved it aside`),
          ),
        }),
      );
    },
  );

  it("removes the temp copies interrupted writes left (the stream key inside) at boot, and says so; a dead holder's lock is taken over", async () => {
    await mkdir(dataDir, { recursive: true });
    const key = 'chaos-leftover-stream-key-1234';
    // As write-file-atomic named them (the 2 in 10 kills of the issue), and as Wave names them now (a dead pid).
    const orphans = ['telegram-config.json.2899151397', 'telegram-config.json.1057340', 'audio-tracks.json.tmp-99999999-12'];
    for (const name of orphans) await writeFile(join(dataDir, name), JSON.stringify({ streamKey: key }), { mode: 0o600 });
    // The lock of a Wave SIGKILLed while it wrote (not refreshed for a minute): taken over at boot and removed.
    await mkdir(join(dataDir, 'telegram-config.json.lock'));
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(join(dataDir, 'telegram-config.json.lock'), minuteAgo, minuteAgo);
    const wave = await startWave({ dataDir, logDir, env: { PM2_HOME: pm2Home } });
    try {
      // The documents, the database, the ingest's key file and the leader lock (made at boot), nothing else (SQLite's
      // -wal and -shm while it runs).
      const entries = (await readdir(dataDir)).filter((f) => f !== 'wave.db-wal' && f !== 'wave.db-shm');
      expect(entries.sort()).toEqual(
        [...DOCUMENTS, 'rtmp-ingest.key', 'stream-destinations.json', 'telegram-live-override.json', 'wave-leader.lock', 'wave.db'].sort(),
      );
    } finally {
      await wave.dispose();
    }
    const log = await readFile(join(logDir, 'wave.log'), 'utf8');
    expect(log).toContain('removed 2 temp file(s) left by interrupted writes of telegram-config.json');
    expect(log).toContain('removed 1 temp file(s) left by interrupted writes of audio-tracks.json');
    expect(log).not.toContain(key);
  });
});
