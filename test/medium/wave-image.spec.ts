import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { waitUntil } from '../env/wait.js';

const exec = promisify(execFile);
const TAG = 'wave/wave:test';
const NAME = `wave-test-image-${process.pid}`;
const HEALTHY_WITHIN_MS = 90_000;

/** The docker CLI on the tests' engine; stdout. */
async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { env: { ...process.env, DOCKER_HOST: testEnv.dockerHost() }, maxBuffer: 16 << 20 });
  return stdout;
}

describe("Wave's image (docker/wave/Dockerfile, built by scripts/wave-image.sh with no registry)", () => {
  let dataDir: string;
  let secrets: string;
  let port: number;
  const token = randomBytes(24).toString('hex');
  let healthyAfterMs: number;

  beforeAll(async () => {
    // The offline path: the Dockerfile on a base assembled from this host, the app built here. The tag keeps
    // its image between runs; the script rebuilds only when the recipe (base, Dockerfile, app) changed.
    const started = Date.now();
    await exec('bash', ['scripts/wave-image.sh', '--tag', TAG, '--offline'], {
      env: { ...process.env, DOCKER_HOST: testEnv.dockerHost() },
      timeout: 600_000,
    });
    console.info(`[wave image] ${TAG} ready in ${Date.now() - started} ms`);

    dataDir = await makeTempDir('wave-image-data');
    await chown(dataDir, 1000, 1000); // the image's `node` user owns its data
    // The token travels in an env file (mode 0600), not on docker's command line.
    const secretsDir = await makeTempDir('wave-image-env');
    secrets = join(secretsDir, 'wave.env');
    await writeFile(secrets, `WAVE_API_TOKEN=${token}\n`, { mode: 0o600 });
    port = await freePort();
    const runAt = Date.now();
    await docker(
      'run',
      '--detach',
      '--name',
      NAME,
      '--label',
      `wave.test.run=${process.pid}`,
      '--init',
      // Only how often Docker asks: the command is the image's HEALTHCHECK.
      '--health-interval',
      '1s',
      '--env-file',
      secrets,
      '--volume',
      `${dataDir}:/data`,
      '--publish',
      `127.0.0.1:${port}:6970`,
      TAG,
    );
    await waitUntil(
      async () => (await docker('inspect', '--format', '{{.State.Health.Status}}', NAME)).trim() === 'healthy',
      HEALTHY_WITHIN_MS,
      `${NAME} to become healthy`,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${(await docker('logs', '--tail', '40', NAME).catch(() => '')).slice(-4000)}`);
    });
    healthyAfterMs = Date.now() - runAt;
    console.info(`[wave image] healthy ${healthyAfterMs} ms after docker run`);
  });

  afterAll(async () => {
    await docker('rm', '--force', '--volumes', NAME).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (secrets) await rm(join(secrets, '..'), { recursive: true, force: true });
  });

  it("is healthy by its own HEALTHCHECK on /health/live, which answers from the host's published port", async () => {
    const config = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', TAG)) as {
      Healthcheck: { Test: string[] };
      User: string;
      Cmd: string[];
      ExposedPorts: Record<string, object>;
      Volumes: Record<string, object>;
    };
    expect(config.Healthcheck.Test.join(' ')).toContain('http://127.0.0.1:6970/health/live');
    expect(config.User).toBe('node');
    expect(config.Cmd).toEqual(
      expect.arrayContaining(['/app/node_modules/pm2/bin/pm2-runtime', '/app/docker/wave/ecosystem.docker.config.js']),
    );
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['6970/tcp', '6971/tcp']);
    expect(Object.keys(config.Volumes).sort()).toEqual(['/data', '/logs']);
    expect(healthyAfterMs).toBeLessThan(HEALTHY_WITHIN_MS);

    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    // The token from the env file guards writes.
    expect((await fetch(`http://127.0.0.1:${port}/api/stream/telegram/stop`, { method: 'POST' })).status).toBe(401);
  });

  it('runs every process as the unprivileged node user, with no secret on any command line', async () => {
    // Docker's top needs the pid column; uids are the host's view (no user namespace here).
    const processes = (await docker('top', NAME, '-o', 'pid,uid,args'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => /^\s*\d+\s+(\S+)\s+(.*)$/.exec(line)!);
    expect(processes.length).toBeGreaterThanOrEqual(3); // init, pm2-runtime, radio.wave
    for (const [, uid, args] of processes) expect({ uid, args }).toEqual({ uid: '1000', args });
    expect(processes.map(([, , args]) => args).join('\n')).not.toContain(token);
    expect((await docker('exec', NAME, 'node', '-p', 'process.getuid()')).trim()).toBe('1000');
    // Nor in the image's layers or config.
    expect(await docker('history', '--no-trunc', TAG)).not.toContain(token);
    expect(await docker('image', 'inspect', TAG)).not.toContain('WAVE_API_TOKEN');
  });

  it('has ffmpeg and ffprobe inside', async () => {
    expect(await docker('exec', NAME, 'ffmpeg', '-hide_banner', '-version')).toMatch(/^ffmpeg version /);
    expect(await docker('exec', NAME, 'ffprobe', '-hide_banner', '-version')).toMatch(/^ffprobe version /);
  });

  it('runs both PM2 apps under pm2-runtime: radio.wave online, telegram-stream registered for Wave to start, and lives on while it is stopped', async () => {
    const list = async () =>
      (
        JSON.parse(await docker('exec', NAME, 'node', '/app/node_modules/pm2/bin/pm2', 'jlist')) as Array<{
          name: string;
          pm2_env: { status: string };
        }>
      ).map((p) => [p.name, p.pm2_env.status]);
    expect(await list()).toEqual([
      ['radio.wave', 'online'],
      ['telegram-stream', 'stopped'],
    ]);
    // pm2-runtime checks every 2 s (after 4 s) and exits after three checks with no app online; with
    // telegram-stream stopped for more than that, the container still runs and is healthy.
    const startedAt = Date.parse((await docker('inspect', '--format', '{{.State.StartedAt}}', NAME)).trim());
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 14_000 - Date.now())));
    expect((await docker('inspect', '--format', '{{.State.Status}} {{.State.Health.Status}}', NAME)).trim()).toBe('running healthy');
    expect(await list()).toEqual([
      ['radio.wave', 'online'],
      ['telegram-stream', 'stopped'],
    ]);
    // Wave writes its data and logs where the volumes are.
    expect(await readdir(dataDir)).toEqual(expect.arrayContaining(['wave.db', 'rtmp-ingest.key']));
    expect(await docker('exec', NAME, 'node', '-p', "require('fs').readdirSync('/logs').join(' ')")).toContain('wave.log');
  });
});
