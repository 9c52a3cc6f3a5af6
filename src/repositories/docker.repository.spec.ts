import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerEngineProxy, startDockerEngineProxy } from '../../test/env/docker-engine-proxy.js';
import { AppConfig } from '../config/app-config.js';
import { validateEnvironment } from '../config/env.validation.js';
import { DockerRepository, DockerTimeoutError, DockerUnavailableError } from './docker.repository.js';

const TIMEOUTS = { readMs: 300, writeMs: 600 };
/** Timers fire late on a loaded machine; a hung call must still end well before the next second. */
const SLACK_MS = 400;

/** A minimal engine API on a unix socket: enough for a ping, a version and an empty container list. */
async function fakeEngine(socketPath: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    res.setHeader('content-type', path === '/_ping' ? 'text/plain' : 'application/json');
    if (path === '/_ping') res.end('OK');
    else if (path === '/version') res.end(JSON.stringify({ Version: '26.1.5' }));
    else if (path === '/containers/json') res.end('[]');
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `no such object: ${path}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

function repositoryFor(dockerHost: string): DockerRepository {
  return new DockerRepository(new AppConfig(validateEnvironment({ DOCKER_HOST: dockerHost })), TIMEOUTS);
}

describe('DockerRepository with the engine hung (a proxy that accepts and never answers, as a SIGSTOPped dockerd)', () => {
  let dir: string;
  let engine: Server;
  let proxy: DockerEngineProxy;
  let docker: DockerRepository;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-docker-hung-'));
    engine = await fakeEngine(join(dir, 'engine.sock'));
    proxy = await startDockerEngineProxy(join(dir, 'engine.sock'), dir);
    docker = repositoryFor(proxy.host);
  });

  afterEach(async () => {
    docker.onModuleDestroy();
    await proxy.close();
    await new Promise((resolve) => engine.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** How long `call` took to fail, and with what. */
  async function failure(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
    const started = Date.now();
    const error = await call().then(
      () => new Error('answered'),
      (e: unknown) => e,
    );
    return { ms: Date.now() - started, error };
  }

  it('answers through the proxy while the engine is not hung', async () => {
    await expect(docker.ping()).resolves.toBeUndefined();
    expect(await docker.version()).toBe('26.1.5');
    expect(await docker.listContainers({ 'wave.managed': 'true' })).toEqual([]);
  });

  it('fails every call with 504 docker_timeout within its bound, all at once, and answers again once the engine does', async () => {
    await docker.ping(); // a kept-alive connection exists, and goes silent with the rest
    proxy.hang();
    const calls: Record<string, [() => Promise<unknown>, number]> = {
      ping: [() => docker.ping(), TIMEOUTS.readMs],
      version: [() => docker.version(), TIMEOUTS.readMs],
      imageExists: [() => docker.imageExists('wave/rtmp:latest'), TIMEOUTS.readMs],
      listContainers: [() => docker.listContainers({ 'wave.managed': 'true' }), TIMEOUTS.readMs],
      inspect: [() => docker.inspect('wave-rtmp'), TIMEOUTS.readMs],
      create: [() => docker.create({ image: 'wave/rtmp:latest' }), TIMEOUTS.writeMs],
      start: [() => docker.start('abc'), TIMEOUTS.writeMs],
      stop: [() => docker.stop('abc', 0), TIMEOUTS.writeMs],
      remove: [() => docker.remove('abc'), TIMEOUTS.writeMs],
      rename: [() => docker.rename('abc', 'def'), TIMEOUTS.readMs],
      logs: [() => docker.logs('abc'), TIMEOUTS.readMs],
      runToCompletion: [() => docker.runToCompletion({ image: 'wave/rtmp:latest' }, []), TIMEOUTS.writeMs],
      bridgeNetwork: [() => docker.bridgeNetwork(), TIMEOUTS.readMs],
      watchContainerEvents: [
        () =>
          docker.watchContainerEvents(
            {},
            () => {},
            () => {},
          ),
        TIMEOUTS.readMs,
      ],
    };
    const results = await Promise.all(
      Object.entries(calls).map(async ([name, [call, bound]]) => ({ name, bound, ...(await failure(call)) })),
    );
    for (const { name, bound, ms, error } of results) {
      expect(error, name).toBeInstanceOf(DockerTimeoutError);
      expect((error as DockerTimeoutError).getStatus(), name).toBe(504);
      expect((error as DockerTimeoutError).code, name).toBe('docker_timeout');
      expect((error as Error).message, name).toMatch(/did not answer within \d+(\.\d+)? s/);
      expect(ms, name).toBeGreaterThanOrEqual(bound - 20);
      expect(ms, name).toBeLessThan(bound + SLACK_MS);
    }

    // Aborted requests close their connections (the image and network inspects, which drop the signal,
    // leave theirs to the socket's idle timeout): a hung engine does not collect open requests.
    await expect.poll(() => proxy.openConnections, { timeout: 2000 }).toBeLessThanOrEqual(2);

    proxy.resume();
    await expect(docker.ping()).resolves.toBeUndefined();
    expect(await docker.listContainers({ 'wave.managed': 'true' })).toEqual([]);
  });

  it('an engine that is not there at all is 503 docker_unavailable at once, not a timeout', async () => {
    const nowhere = repositoryFor(`unix://${join(dir, 'nobody-listens.sock')}`);
    const { ms, error } = await failure(() => nowhere.listContainers({}));
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as DockerUnavailableError).code).toBe('docker_unavailable');
    expect(ms).toBeLessThan(TIMEOUTS.readMs);
  });
});
