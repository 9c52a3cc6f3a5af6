import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { ContainerEvent, DockerRepository } from '../../src/repositories/docker.repository.js';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { waitUntil } from '../env/wait.js';

const run = promisify(execFile);
const TAG = 'wave/docker-proxy:test';
const RUN_LABELS = { 'wave.test': 'docker-proxy', 'wave.test.run': String(process.pid) };
/** The hardening compose.yaml gives the proxy; the spec runs it the same way so compose's flags are proven. */
const HARDENING = { ReadonlyRootfs: true, Tmpfs: { '/tmp': '' }, CapDrop: ['ALL'], CapAdd: ['SETGID', 'SETUID'] };

/** One raw HTTP/1.1 request (fetch would normalize the path before sending it): status line and body. */
function rawRequest(port: number, method: string, path: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.end(
      `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

describe('the Docker socket proxy (docker/docker-proxy, assembled offline)', () => {
  const engineHost = testEnv.dockerHost();
  if (!engineHost.startsWith('unix://')) throw new Error(`the proxy spec mounts the engine's unix socket; DOCKER_HOST is ${engineHost}`);
  const engineSocket = engineHost.slice('unix://'.length);
  const engine = new Docker({ socketPath: engineSocket });
  let port: number;
  let socketDir: string;
  let proxyId: string;
  let wave: DockerRepository;
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  beforeAll(async () => {
    await run('bash', ['scripts/docker-proxy-image.sh', '--tag', TAG, '--offline'], { env: process.env, timeout: 120_000 });
    port = await freePort();
    socketDir = await makeTempDir('docker-proxy-socket');
    const proxy = await engine.createContainer({
      Image: TAG,
      Labels: RUN_LABELS,
      ExposedPorts: { '2375/tcp': {} },
      HostConfig: {
        ...HARDENING,
        Binds: [`${engineSocket}:/var/run/docker.sock:ro`, `${socketDir}:/run/docker-proxy`],
        PortBindings: { '2375/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      },
    });
    proxyId = proxy.id;
    await proxy.start();
    await waitUntil(async () => (await fetch(url('/_ping'))).ok, 10_000, 'the proxy answering /_ping');
    // Wave's own repository, on the proxy's unix socket as compose.yaml gives it (DOCKER_HOST=unix:///run/docker-proxy/docker.sock).
    wave = new DockerRepository(new AppConfig(validateEnvironment({ DOCKER_HOST: `unix://${join(socketDir, 'docker.sock')}` })));
  });

  afterAll(async () => {
    wave?.onModuleDestroy();
    for (const c of await engine.listContainers({ all: true, filters: { label: [`wave.test.run=${process.pid}`] } }))
      await engine.getContainer(c.Id).remove({ force: true, v: true });
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
    // The image stays: assembling it again takes a second and the tag is the test's own.
  });

  it('passes on the calls Wave makes, with and without the API version', async () => {
    expect(await (await fetch(url('/_ping'))).text()).toBe('OK');
    expect((await fetch(url('/v1.41/_ping'), { method: 'HEAD' })).status).toBe(200);
    expect((await (await fetch(url('/version'))).json()) as { ApiVersion: string }).toHaveProperty('ApiVersion');
    const containers = (await (await fetch(url('/v1.41/containers/json?all=1'))).json()) as Array<{ Id: string }>;
    expect(containers.map((c) => c.Id)).toContain(proxyId);
    expect(((await (await fetch(url(`/containers/${proxyId}/json`))).json()) as { Id: string }).Id).toBe(proxyId);
    const image = await fetch(url(`/images/${testEnv.rtmpImage()}/json`));
    expect(image.status).toBe(200);
    expect((await fetch(url('/v1.41/images/wave/never-built:none/json'))).status).toBe(404); // the engine's answer
    expect(((await (await fetch(url('/networks/bridge'))).json()) as { Name: string }).Name).toBe('bridge');
    const logs = await fetch(url(`/containers/${proxyId}/logs?stdout=1&stderr=1`));
    expect(logs.status).toBe(200);
    await logs.arrayBuffer();
  });

  it('streams /events unbuffered: an event arrives while the response is still open', async () => {
    const now = Math.floor(Date.now() / 1000);
    // A bounded window ends by itself.
    const bounded = await fetch(url(`/events?since=${now - 60}&until=${now}`));
    expect(bounded.status).toBe(200);
    await bounded.text();
    // An open one delivers a container's create as it happens.
    const controller = new AbortController();
    const stream = await fetch(url(`/v1.41/events?filters=${encodeURIComponent(JSON.stringify({ label: ['wave.test=docker-proxy'] }))}`), {
      signal: controller.signal,
    });
    const reader = stream.body!.getReader();
    const created = await engine.createContainer({ Image: testEnv.rtmpImage(), Labels: RUN_LABELS });
    const first = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event within 5 s: the proxy buffers /events')), 5000)),
    ]);
    expect(Buffer.from(first.value).toString('utf8')).toContain(created.id);
    controller.abort();
    await created.remove({ force: true });
  });

  it('refuses everything else with 403 in the engine error shape, and the engine never sees it', async () => {
    const volumeName = `wave-test-proxy-${process.pid}`;
    const refused: Array<[string, string, string?]> = [
      ['POST', `/v1.41/containers/${proxyId}/exec`, JSON.stringify({ Cmd: ['id'] })],
      ['POST', `/containers/${proxyId}/attach?stream=1`],
      ['GET', `/containers/${proxyId}/archive?path=/etc`],
      ['GET', `/containers/${proxyId}/export`],
      ['POST', `/containers/${proxyId}/kill`],
      ['POST', `/containers/${proxyId}/update`, '{}'],
      ['POST', '/commit?container=x'],
      ['GET', '/secrets'],
      ['POST', '/v1.41/secrets/create', '{}'],
      ['POST', '/volumes/create', JSON.stringify({ Name: volumeName })],
      ['GET', '/volumes'],
      ['POST', '/build'],
      ['POST', '/images/create?fromImage=alpine&tag=latest'],
      ['DELETE', '/images/x'],
      ['DELETE', `/v1.41/images/${testEnv.rtmpImage()}`],
      ['GET', '/images/json'],
      ['GET', '/info'],
      ['GET', '/networks'],
      ['POST', '/networks/create', JSON.stringify({ Name: volumeName })],
      ['POST', '/swarm/init', '{}'],
      ['GET', '/plugins'],
      ['POST', '/session'],
      // Paths that nginx would normalize for its check but pass on as sent.
      ['GET', '/containers/x/../../info'],
      ['POST', `/containers/${proxyId}/%65xec`, '{}'],
      ['GET', '/v1.41/containers/x/..%2f..%2fsecrets'],
      ['GET', '//info'],
      ['GET', '/./info'],
    ];
    for (const [method, path, body] of refused) {
      const answer = await rawRequest(port, method, path, body);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 403 });
      expect((JSON.parse(answer.body) as { message: string }).message).toContain("Wave's Docker socket proxy");
    }
    // Nothing reached the engine: no volume, no network, the image is still there, no exec on the proxy.
    expect((await engine.listVolumes()).Volumes?.map((v) => v.Name) ?? []).not.toContain(volumeName);
    expect((await engine.listNetworks()).map((n) => n.Name)).not.toContain(volumeName);
    await expect(engine.getImage(testEnv.rtmpImage()).inspect()).resolves.toBeTruthy();
    expect(((await engine.getContainer(proxyId).inspect()) as { ExecIDs: string[] | null }).ExecIDs ?? []).toEqual([]);
  });

  it("carries Wave's DockerRepository: ping, version, bridge, images, and the ingest's whole lifecycle with its events", async () => {
    await expect(wave.ping()).resolves.toBeUndefined();
    expect((await wave.probe()).up).toBe(true);
    expect(await wave.bridgeNetwork()).toHaveProperty('subnet');
    expect(await wave.imageExists(testEnv.rtmpImage())).toBe(true);
    expect(await wave.imageExists('wave/never-built:none')).toBe(false);

    const labels = { ...RUN_LABELS, 'wave.test.case': 'ingest' };
    const events: ContainerEvent[] = [];
    const subscription = await wave.watchContainerEvents(
      labels,
      (e) => events.push(e),
      () => {},
    );
    const hostPort = await freePort();
    const config = readFileSync('docker/rtmp/nginx.conf', 'utf8').replace('listen 8080;', 'listen 8081;');
    // What RtmpService.launch asks for: a named, labelled container, a published port, the host alias, a file.
    const id = await wave.create(
      {
        name: `wave-test-proxy-ingest-${process.pid}`,
        image: testEnv.rtmpImage(),
        cmd: ['/usr/sbin/nginx', '-g', 'daemon off;'],
        labels,
        ports: [{ containerPort: 8081, hostPort, hostIp: '127.0.0.1' }],
        extraHosts: ['host.docker.internal:host-gateway'],
        restartPolicy: 'unless-stopped',
      },
      [{ path: '/etc/nginx/nginx.conf', content: config }],
    );
    await wave.start(id);
    expect(await wave.inspect(id)).toMatchObject({ running: true, ports: [{ containerPort: 8081, hostPort, hostIp: '127.0.0.1' }] });
    expect((await wave.listContainers(labels)).map((c) => c.id)).toEqual([id]);
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${hostPort}/stat`)).ok, 5000, "the ingest's /stat on the moved port");
    await wave.rename(id, `wave-test-proxy-ingest-${process.pid}-renamed`);
    expect(typeof (await wave.logs(id))).toBe('string');
    await wave.stop(id, 2);
    expect(await wave.inspect(id)).toMatchObject({ running: false });
    await wave.remove(id);
    expect(await wave.inspect(id)).toBeNull();
    // nginx -t in a throwaway container: create, archive, start, wait, logs, remove.
    const check = await wave.runToCompletion({ image: testEnv.rtmpImage(), cmd: ['/usr/sbin/nginx', '-t'], labels }, []);
    expect(check).toMatchObject({ exitCode: 0, output: expect.stringContaining('test is successful') });
    await expect
      .poll(() => events.filter((e) => e.containerId === id).map((e) => e.action), { timeout: 3000 })
      .toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
    subscription.close();
  });
});
