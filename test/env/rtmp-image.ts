import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isAlive } from './host.js';

const run = promisify(execFile);
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const recipeFiles = ['scripts/rtmp-image.sh', 'scripts/lib/image.sh', 'docker/rtmp/Dockerfile', 'docker/rtmp/nginx.conf'];

/**
 * The nginx-rtmp image for tests, made by the production script (scripts/rtmp-image.sh). On Linux
 * it is assembled from the host's Debian packages (no registry); elsewhere it is `docker build`.
 * The tag carries a hash of the recipe, so an image already there is reused and a changed recipe
 * builds a new one. Each caller holds a lease on it (`release`): on an engine that outlives the run,
 * the last run still using the image removes it, so none is left behind and no concurrent run loses it.
 */
export async function ensureRtmpImage(dockerHost: string, options: { removeWhenReleased: boolean }): Promise<RtmpTestImage> {
  const recipe = createHash('sha256');
  for (const file of recipeFiles) recipe.update(readFileSync(join(projectRoot, file)));
  const tag = `wave/rtmp:test-${recipe.digest('hex').slice(0, 12)}`;

  const docker = dockerHost.startsWith('unix://') ? new Docker({ socketPath: dockerHost.slice('unix://'.length) }) : new Docker();
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  const lease = await takeLease(tag);
  const image: RtmpTestImage = {
    tag,
    release: async () => {
      const othersUseIt = await dropLease(tag, lease);
      if (options.removeWhenReleased && !othersUseIt)
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => undefined);
    },
  };
  if (present) return image;

  const mode = platform() === 'linux' ? '--offline' : '--build';
  try {
    await run('bash', [join(projectRoot, 'scripts/rtmp-image.sh'), '--tag', tag, mode], {
      env: { ...process.env, DOCKER_HOST: dockerHost },
      timeout: 600_000,
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    await dropLease(tag, lease);
    throw new Error(`building the test nginx-rtmp image ${tag} failed: ${stderr || message}`);
  }
  return image;
}

export interface RtmpTestImage {
  tag: string;
  /** Gives the lease back; the last holder removes the image when asked to (an engine that outlives the run). */
  release(): Promise<void>;
}

/** Leases live in the host's temp dir (not the run's), one folder per tag, a file per holder named after its pid. */
function leaseDir(tag: string): string {
  return join(process.env.WAVE_TEST_HOST_TMPDIR ?? tmpdir(), 'wave-test-images', tag.replace(/[^A-Za-z0-9.-]/g, '_'));
}

async function takeLease(tag: string): Promise<string> {
  await mkdir(leaseDir(tag), { recursive: true });
  const lease = join(leaseDir(tag), `${process.pid}-${randomUUID()}`);
  await writeFile(lease, '');
  return lease;
}

/** Drops `lease` (and those of runs no longer alive); true when another live run still holds one. */
async function dropLease(tag: string, lease: string): Promise<boolean> {
  await rm(lease, { force: true });
  let others = false;
  for (const name of await readdir(leaseDir(tag)).catch(() => [] as string[])) {
    if (isAlive(Number.parseInt(name, 10))) others = true;
    else await rm(join(leaseDir(tag), name), { force: true });
  }
  if (!others) await rm(leaseDir(tag), { recursive: true, force: true });
  return others;
}
