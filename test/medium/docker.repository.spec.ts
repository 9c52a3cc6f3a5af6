import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { networkInterfaces, platform } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { ContainerEvent, DockerRepository, DockerUnavailableError, PortInUseError } from '../../src/repositories/docker.repository.js';
import { bridgeHostAddress } from '../../src/rtmp/rtmp-callback.server.js';
import { freePort, testEnv } from '../env/index.js';
import { waitUntil } from '../env/wait.js';

const LABELS = { 'wave.test': 'docker-repository', 'wave.test.run': String(process.pid) };

function repositoryFor(dockerHost: string): DockerRepository {
  return new DockerRepository(new AppConfig(validateEnvironment({ DOCKER_HOST: dockerHost })));
}

describe('DockerRepository against the real engine', () => {
  const docker = repositoryFor(testEnv.dockerHost());

  afterAll(async () => {
    for (const c of await docker.listContainers(LABELS)) await docker.remove(c.id);
    docker.onModuleDestroy();
  });

  it('answers a ping, and an unreachable engine is docker_unavailable', async () => {
    await expect(docker.ping()).resolves.toBeUndefined();
    const nowhere = repositoryFor('unix:///nonexistent/docker.sock');
    const error = await nowhere.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as DockerUnavailableError).getStatus()).toBe(503);
    expect((error as DockerUnavailableError).code).toBe('docker_unavailable');
  });

  it('knows which images exist', async () => {
    expect(await docker.imageExists(testEnv.rtmpImage())).toBe(true);
    expect(await docker.imageExists('wave/never-built:none')).toBe(false);
  });

  it('creates a labelled container with a file, publishes its port, follows its events, stops and removes it', async () => {
    const hostPort = await freePort();
    const events: ContainerEvent[] = [];
    const subscription = await docker.watchContainerEvents(
      LABELS,
      (e) => events.push(e),
      () => {},
    );
    const config = readFileSync('docker/rtmp/nginx.conf', 'utf8').replace('listen 8080;', 'listen 8081;');
    const id = await docker.create(
      {
        image: testEnv.rtmpImage(),
        cmd: ['/usr/sbin/nginx', '-g', 'daemon off;'],
        labels: LABELS,
        ports: [{ containerPort: 8081, hostPort, hostIp: '127.0.0.1' }],
        extraHosts: ['host.docker.internal:host-gateway'],
      },
      [{ path: '/etc/nginx/nginx.conf', content: config }],
    );
    await docker.start(id);

    const state = await docker.inspect(id);
    expect(state).toMatchObject({ id, running: true, status: 'running', labels: expect.objectContaining(LABELS) });
    expect(state?.ports).toEqual([{ containerPort: 8081, hostPort, hostIp: '127.0.0.1' }]);
    expect((await docker.listContainers(LABELS)).map((c) => c.id)).toContain(id);

    // The uploaded configuration is the one nginx serves: /stat on the moved port.
    await waitUntil(
      async () => (await fetch(`http://${docker.publishedHost}:${hostPort}/stat`).then((r) => r.text())).includes('<rtmp>'),
      5000,
      'nginx /stat on the moved port',
    );

    // A rename is seen by name; a name another container holds is refused (a config rollback relies on both).
    const name = `wave-test-renamed-${process.pid}`;
    await docker.rename(id, name);
    expect((await docker.inspect(name))?.id).toBe(id);
    const holder = await docker.create({ name: `${name}-holder`, image: testEnv.rtmpImage(), labels: LABELS });
    await expect(docker.rename(id, `${name}-holder`)).rejects.toMatchObject({ statusCode: 409 });
    await docker.remove(holder);

    await docker.stop(id);
    expect(await docker.inspect(id)).toMatchObject({ running: false, status: 'exited' });
    await docker.stop(id); // already stopped: no error
    await docker.remove(id);
    expect(await docker.inspect(id)).toBeNull();
    await docker.remove(id); // already gone: no error

    await expect
      .poll(() => events.filter((e) => e.containerId === id).map((e) => e.action), { timeout: 2000 })
      .toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
    // Only containers with the labels are followed (here: this one and its name holder).
    expect(events.every((e) => e.labels['wave.test'] === 'docker-repository')).toBe(true);
    subscription.close();
  });

  describe('a host port taken by another program', () => {
    let blocker: Server;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('fails the start with port_in_use naming the port', async () => {
      const id = await docker.create({
        image: testEnv.rtmpImage(),
        labels: LABELS,
        ports: [{ containerPort: 1935, hostPort: port, hostIp: '0.0.0.0' }],
      });
      const error = await docker.start(id).catch((e: unknown) => e);
      await docker.remove(id);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).getStatus()).toBe(409);
      expect((error as PortInUseError).port).toBe(port);
    });
  });

  it('runs a throwaway container to completion (nginx -t rejects a broken config) and removes it', async () => {
    const before = (await docker.listContainers(LABELS)).length;
    const broken = await docker.runToCompletion({ image: testEnv.rtmpImage(), cmd: ['/usr/sbin/nginx', '-t'], labels: LABELS }, [
      { path: '/etc/nginx/nginx.conf', content: 'events {}\nrtmp_nonsense on;\n' },
    ]);
    expect(broken.exitCode).not.toBe(0);
    expect(broken.output).toContain('unknown directive "rtmp_nonsense"');
    const fine = await docker.runToCompletion({ image: testEnv.rtmpImage(), cmd: ['/usr/sbin/nginx', '-t'], labels: LABELS }, []);
    expect(fine).toMatchObject({ exitCode: 0, output: expect.stringContaining('test is successful') });
    expect((await docker.listContainers(LABELS)).length).toBe(before);
  });

  it('finds the bridge address containers use to reach the host, also on an engine that made its bridge itself', async () => {
    const bridge = await docker.bridgeNetwork();
    // A brand-new engine (no docker0 before it started) reports only the subnet and interface, no IPAM gateway.
    const address = bridgeHostAddress(bridge, networkInterfaces());
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    if (docker.publishedHost === '127.0.0.1' && platform() === 'linux') {
      // A local engine on Linux: an address of this host, bindable even while no container is attached
      // to the bridge (no carrier, so the OS does not list the interface).
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
