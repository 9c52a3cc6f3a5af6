import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { DockerRepository } from '../../src/repositories/docker.repository.js';
import { NginxStatRepository, NginxStatTimeoutError, NginxStatUnavailableError } from '../../src/repositories/nginx-stat.repository.js';
import { NGINX_TEMPLATE_PATH, renderNginxConfig } from '../../src/rtmp/nginx-config.renderer.js';
import { parseNginxStat } from '../../src/rtmp/nginx-stat.js';
import { RTMP_CONFIG_DOCUMENT } from '../../src/rtmp/rtmp-config.document.js';
import { NGINX_BIN, NGINX_CONFIG_PATH } from '../../src/rtmp/rtmp.constants.js';
import { freePort, testEnv } from '../env/index.js';
import { waitUntil } from '../env/wait.js';

const LABELS = { 'wave.test': 'nginx-stat-repository', 'wave.test.run': String(process.pid) };
const SECRET = 'medium-spec-secret-0123456789';

/** How long a failure took, and what it was. */
async function failure(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const error = await call().then(
    () => new Error('answered'),
    (e: unknown) => e,
  );
  return { ms: Date.now() - started, error };
}

describe('NginxStatRepository against the real nginx-rtmp container', () => {
  const docker = new DockerRepository(new AppConfig(validateEnvironment({ DOCKER_HOST: testEnv.dockerHost() })));
  const nginx = new NginxStatRepository();
  let httpPort: number;

  beforeAll(async () => {
    httpPort = await freePort();
    // The production nginx.conf (its /stat asks for the bearer secret), on ports of its own.
    const config = { ...RTMP_CONFIG_DOCUMENT.defaults(), rtmpPort: 1935, httpPort: 8080 };
    const id = await docker.create(
      {
        image: testEnv.rtmpImage(),
        cmd: [NGINX_BIN, '-g', 'daemon off;'],
        labels: LABELS,
        ports: [{ containerPort: 8080, hostPort: httpPort, hostIp: '127.0.0.1' }],
        extraHosts: ['host.docker.internal:host-gateway'],
      },
      [
        {
          path: NGINX_CONFIG_PATH,
          content: renderNginxConfig(
            readFileSync(NGINX_TEMPLATE_PATH, 'utf8'),
            config,
            `http://host.docker.internal:1/rtmp/${SECRET}`,
            SECRET,
          ),
        },
      ],
    );
    await docker.start(id);
    await waitUntil(
      () => nginx.read({ host: docker.publishedHost, port: httpPort, secret: SECRET }),
      10_000,
      'nginx /stat in the container',
    );
  });

  afterAll(async () => {
    for (const c of await docker.listContainers(LABELS)) await docker.remove(c.id);
    docker.onModuleDestroy();
  });

  it("reads /stat with the container's secret: nginx-rtmp's document, which parseNginxStat reads", async () => {
    const xml = await nginx.read({ host: docker.publishedHost, port: httpPort, secret: SECRET });
    expect(xml).toContain('<rtmp>');
    const stats = parseNginxStat(xml);
    expect(stats.nginxVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(stats.publishers).toEqual([]);
  });

  it('without the secret, or with another, is 503 nginx_stat_unavailable: answered 403', async () => {
    for (const secret of [undefined, 'not-the-secret-0123456789']) {
      const { error } = await failure(() => nginx.read({ host: docker.publishedHost, port: httpPort, secret }));
      expect(error).toBeInstanceOf(NginxStatUnavailableError);
      expect((error as NginxStatUnavailableError).getStatus()).toBe(503);
      expect((error as NginxStatUnavailableError).code).toBe('nginx_stat_unavailable');
      expect((error as Error).message).toBe(`nginx /stat answered 403 (http://${docker.publishedHost}:${httpPort}/stat)`);
    }
  });

  it('where nothing listens is 503 nginx_stat_unavailable at once', async () => {
    const port = await freePort();
    const { ms, error } = await failure(() => nginx.read({ host: '127.0.0.1', port }));
    expect(error).toBeInstanceOf(NginxStatUnavailableError);
    expect((error as Error).message).toBe(`nginx /stat does not answer: ECONNREFUSED (http://127.0.0.1:${port}/stat)`);
    expect(ms).toBeLessThan(500);
  });

  describe('a server that accepts and never answers (a paused container)', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('is 504 nginx_stat_timeout after 1.5 s, not later', async () => {
      const { ms, error } = await failure(() => nginx.read({ host: '127.0.0.1', port, secret: SECRET }));
      expect(error).toBeInstanceOf(NginxStatTimeoutError);
      expect((error as NginxStatTimeoutError).getStatus()).toBe(504);
      expect((error as NginxStatTimeoutError).code).toBe('nginx_stat_timeout');
      expect((error as Error).message).toBe(`nginx /stat did not answer within 1.5 s (http://127.0.0.1:${port}/stat)`);
      expect(ms).toBeGreaterThanOrEqual(1480);
      expect(ms).toBeLessThan(2500);
    });
  });
});
