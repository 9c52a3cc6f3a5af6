import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const recipeFiles = ['scripts/rtmp-image.sh', 'docker/rtmp/Dockerfile', 'docker/rtmp/nginx.conf'];

/**
 * The nginx-rtmp image for tests, made by the production script (scripts/rtmp-image.sh). On Linux
 * it is assembled from the host's Debian packages (no registry); elsewhere it is `docker build`.
 * The tag carries a hash of the recipe, so an image already there is reused and a changed recipe
 * builds a new one. `built` says this call made it (so the run that made it can remove it again).
 */
export async function ensureRtmpImage(dockerHost: string): Promise<{ tag: string; built: boolean }> {
  const recipe = createHash('sha256');
  for (const file of recipeFiles) recipe.update(readFileSync(join(projectRoot, file)));
  const tag = `wave/rtmp:test-${recipe.digest('hex').slice(0, 12)}`;

  const docker = dockerHost.startsWith('unix://')
    ? new Docker({ socketPath: dockerHost.slice('unix://'.length) })
    : new Docker();
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (present) return { tag, built: false };

  const mode = platform() === 'linux' ? '--offline' : '--build';
  try {
    await run('bash', [join(projectRoot, 'scripts/rtmp-image.sh'), '--tag', tag, mode], {
      env: { ...process.env, DOCKER_HOST: dockerHost },
      timeout: 600_000,
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`building the test nginx-rtmp image ${tag} failed: ${stderr || message}`);
  }
  return { tag, built: true };
}

/** Removes a test image again (from an engine that outlives the run; the private one goes whole). */
export async function removeRtmpImage(dockerHost: string, tag: string): Promise<void> {
  const docker = dockerHost.startsWith('unix://') ? new Docker({ socketPath: dockerHost.slice('unix://'.length) }) : new Docker();
  await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
}
