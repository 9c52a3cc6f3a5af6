import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';

export { freePort } from './ports.js';
export { createDatabase } from './postgres-server.js';

/** Values the global setup (test/env/global-setup.ts) provides to medium, e2e and chaos tests. */
export const testEnv = {
  /** DOCKER_HOST of the real engine the tests use. */
  dockerHost: (): string => inject('dockerHost'),
  dockerIsPrivate: (): boolean => inject('dockerIsPrivate'),
  /** Tag of the local nginx-rtmp image. */
  rtmpImage: (): string => inject('rtmpImage'),
  tempBaseDir: (): string => inject('tempBaseDir'),
  /** The run's PostgreSQL server; a suite takes an empty database of its own: `await createDatabase(testEnv.postgresUrl())`. */
  postgresUrl: (): string => inject('postgresUrl'),
};

/** A fresh directory under the run's temp base, e.g. for a server's DATA_DIR. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(testEnv.tempBaseDir(), `${prefix}-`));
}
