import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { acquireDockerEngine } from './docker-engine.js';
import { hasCommand } from './host.js';
import { acquirePostgresServer } from './postgres-server.js';
import { ensureRtmpImage } from './rtmp-image.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DOCKER_HOST of the engine the tests use (also set in the workers' environment). */
    dockerHost: string;
    /** True when the engine is the test environment's private dockerd. */
    dockerIsPrivate: boolean;
    /** Tag of the local nginx-rtmp test image (built without a registry on Linux). */
    rtmpImage: string;
    /** A fresh directory for this run; tests make their own subdirectories in it. */
    tempBaseDir: string;
    /** The run's PostgreSQL server, `postgres://wave@127.0.0.1:<port>/postgres`: a suite takes a database of its own with createDatabase. */
    postgresUrl: string;
  }
}

const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/** Shared by the medium, e2e and chaos projects: real tools, a real Docker engine, the rtmp image and PostgreSQL. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  checkTools();
  const started = Date.now();
  // PostgreSQL starts while the engine and the image get ready; one server serves every tier of the run.
  const postgres = acquirePostgresServer();
  postgres.catch(() => {}); // awaited below: a rejection while the engine starts is not unhandled
  try {
    return await setUpWith(project, started, postgres);
  } catch (error) {
    await postgres.then(
      (lease) => lease.release(),
      () => {},
    );
    throw error;
  }
}

async function setUpWith(
  project: TestProject,
  started: number,
  postgres: ReturnType<typeof acquirePostgresServer>,
): Promise<() => Promise<void>> {
  const engine = await acquireDockerEngine();
  try {
    // The private engine goes whole with its images; on one that outlives the run the image is removed.
    const image = await ensureRtmpImage(engine.host, { removeWhenReleased: !engine.isPrivate });
    const rtmpImage = image.tag;
    const database = await postgres;
    const tempBaseDir = await mkdtemp(join(tmpdir(), 'wave-test-'));
    // Workers and the servers they spawn inherit these.
    process.env.DOCKER_HOST = engine.host;
    process.env.WAVE_TEST_RTMP_IMAGE = rtmpImage;
    process.env.PM2_HOME ??= join(tempBaseDir, 'pm2');
    project.provide('dockerHost', engine.host);
    project.provide('dockerIsPrivate', engine.isPrivate);
    project.provide('rtmpImage', rtmpImage);
    project.provide('tempBaseDir', tempBaseDir);
    project.provide('postgresUrl', database.url);
    console.info(
      `[test env] ${project.name}: Docker at ${engine.host}${engine.isPrivate ? ' (private dockerd)' : ''}, ` +
        `image ${rtmpImage}, PostgreSQL at ${database.url} (${database.startedHere ? `started in ${database.startMs} ms` : 'shared'}), ` +
        `ready in ${Date.now() - started} ms`,
    );
    return async () => {
      await database.release();
      await rm(tempBaseDir, { recursive: true, force: true });
      await image.release();
      await engine.release();
    };
  } catch (error) {
    await engine.release();
    throw error;
  }
}

function checkTools(): void {
  const missing: string[] = [];
  for (const [command, aptPackage] of [
    ['ffmpeg', 'ffmpeg'],
    ['ffprobe', 'ffmpeg'],
    ['socat', 'socat'],
    ['docker', 'docker.io'],
    // `promtool check metrics` lints /metrics (realtime e2e).
    ['promtool', 'prometheus'],
  ]) {
    if (!hasCommand(command)) missing.push(`${command} (apt-get install -y ${aptPackage})`);
  }
  // The offline image is assembled from the host's nginx + rtmp module (Linux only).
  if (platform() === 'linux') {
    if (!hasCommand('nginx')) missing.push('nginx (apt-get install -y nginx)');
    if (!existsSync(RTMP_MODULE)) missing.push(`${RTMP_MODULE} (apt-get install -y libnginx-mod-rtmp)`);
  }
  if (missing.length > 0) {
    throw new Error(`The test environment is missing: ${missing.join(', ')}`);
  }
}
