import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, RTMP_TEST_PROVIDERS, type TestService } from '../../test/factory.js';
import type { FakeDockerRepository } from '../../test/fakes/docker.repository.fake.js';
import type { FakeNginx, FakeNginxStatRepository } from '../../test/fakes/nginx-stat.repository.fake.js';
import { AppConfig } from '../config/app-config.js';
import { validateEnvironment } from '../config/env.validation.js';
import { WaveEventMap } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { RtmpConfigService } from './rtmp-config.service.js';
import { RtmpPublishAuthService } from './rtmp-publish-auth.service.js';
import { RtmpService } from './rtmp.service.js';
import { RtmpIngestKeys } from './ingest-keys.js';
import { FileLockRepository } from '../repositories/file-lock.repository.js';
import { CALLBACK_SECRET_LABEL, INGEST_NONCE_LABEL, RTMP_LABELS } from './rtmp.constants.js';
import { callbackSecretHash } from './rtmp-publish-auth.service.js';

const KEY = 'dj-anna-7f3c9a1b2d';
const IMAGE = 'wave/rtmp:latest';
/** The configured HTTP port, where the fake nginx serves /stat. */
const STAT_PORT = 18080;
/** An HTTP port nothing serves /stat on (as when nginx refused to start, or died). */
const SILENT_PORT = 18099;

describe('RtmpService (fake Docker, fake nginx /stat)', () => {
  let ctx: TestService<RtmpService>;
  let dataDir: string;
  let docker: FakeDockerRepository;
  let nginxStat: FakeNginxStatRepository;
  let nginx: FakeNginx;
  let rtmp: RtmpService;
  let auth: RtmpPublishAuthService;
  let events: Array<[string, unknown]>;
  let keys: RtmpIngestKeys;

  beforeEach(async () => {
    ctx = await newTestService(RtmpService, { providers: RTMP_TEST_PROVIDERS });
    ({ sut: rtmp, dataDir, events } = ctx);
    ({ docker, nginxStat } = ctx.fakes);
    docker.images.add(IMAGE);
    nginx = nginxStat.serve(STAT_PORT);
    nginx.publish(KEY, Date.now());
    auth = ctx.get(RtmpPublishAuthService);
    keys = ctx.get(RtmpIngestKeys);
    await ctx.get(RtmpConfigService).update({ streamKeys: [KEY], httpPort: STAT_PORT }, async () => {});
  });

  afterEach(async () => {
    await ctx.close();
  });

  it('starts one labelled container whose nginx.conf calls back with a secret only its label can vouch for', async () => {
    const status = await rtmp.start();
    expect(status.state).toBe('running');
    expect(status.stats?.publishers).toEqual([expect.objectContaining({ stream: '****1b2d', bitrateIn: 128000 })]);
    const [container] = docker.containers.values();
    expect(container.labels).toMatchObject(RTMP_LABELS);
    expect(container.ports).toContainEqual({ containerPort: 1935, hostPort: 1935, hostIp: '0.0.0.0' });
    const conf = docker.configOf(container.id);
    const secret = /on_publish http:\/\/host\.docker\.internal:\d+\/rtmp\/([A-Za-z0-9_-]+)\/publish;/.exec(conf)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
    expect(container.labels[CALLBACK_SECRET_LABEL]).toBe(callbackSecretHash(secret!));
    expect(conf).toContain('listen 1935;');
    expect(conf).not.toContain('{{');
  });

  it('is idempotent and serialized: 20 parallel starts make one container', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => rtmp.start()));
    expect(docker.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(new Set(answers.map((a) => a.container?.id)).size).toBe(1);
  });

  it('stops only its own containers, and refuses a name a foreign container holds', async () => {
    const foreign = await docker.create({ name: 'wave-rtmp', image: 'nginx' });
    await docker.start(foreign);
    const error = await rtmp.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaveError);
    expect((error as WaveError).code).toBe('container_name_taken');
    await rtmp.stop();
    expect(docker.containers.get(foreign)?.running).toBe(true);
  });

  it('answers 503 with the build command when the image is missing', async () => {
    docker.images.clear();
    const error = (await rtmp.start().catch((e: unknown) => e)) as WaveError;
    expect(error.getStatus()).toBe(503);
    expect(error.code).toBe('rtmp_image_missing');
    expect(error.message).toBe(`The nginx-rtmp image ${IMAGE} is missing; build it with \`npm run rtmp:image -- --tag ${IMAGE}\``);
    expect(JSON.stringify(error.getResponse())).toContain('npm run rtmp:image');
  });

  it('a taken port fails the start with 409 and leaves no container', async () => {
    docker.takenPorts.add(1935);
    const error = (await rtmp.start().catch((e: unknown) => e)) as WaveError;
    expect(error.getStatus()).toBe(409);
    expect(docker.containers.size).toBe(0);
  });

  describe('with the engine hung (every call fails at its bound, as the repository bounds them)', () => {
    const HANG_MS = 200;
    const failure = async (call: () => Promise<unknown>) => {
      const started = performance.now();
      const error = (await call().then(
        () => new Error('answered'),
        (e: unknown) => e,
      )) as WaveError;
      return { ms: performance.now() - started, status: error.getStatus?.(), code: error.code };
    };

    it('status, start, stop and a config update answer 504 docker_timeout after one bound; the file stays as it was', async () => {
      await rtmp.start();
      const stored = await readFile(join(dataDir, 'streaming-config.json'), 'utf8');
      docker.hangMs = HANG_MS;
      for (const call of [
        () => rtmp.status(),
        () => rtmp.start(),
        () => rtmp.stop(),
        () => rtmp.restart(),
        () => rtmp.updateConfig({ maxConnections: 9 }),
      ]) {
        const { ms, status, code } = await failure(call);
        expect({ status, code }).toEqual({ status: 504, code: 'docker_timeout' });
        expect(ms).toBeLessThan(HANG_MS * 2);
      }
      // The engine might still run the ingest: a config it could not apply is not saved as if it had been.
      expect(await readFile(join(dataDir, 'streaming-config.json'), 'utf8')).toBe(stored);
    });

    it('operations queued behind a hung one fail with it, not one bound after another; the next one asks the engine again', async () => {
      docker.hangMs = HANG_MS;
      const queued = [...Array.from({ length: 10 }, () => () => rtmp.start()), ...Array.from({ length: 10 }, () => () => rtmp.stop())];
      const results = await Promise.all(queued.map((call) => failure(call)));
      expect(results.every((r) => r.status === 504 && r.code === 'docker_timeout')).toBe(true);
      expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(HANG_MS * 2);
      expect(docker.hangCalls).toBe(1); // only the first asked the hung engine

      docker.hangMs = null;
      expect((await rtmp.start()).state).toBe('running');
      expect(docker.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    });

    it('an operation waiting behind a slow (answering) one gives up with 503 rtmp_busy after 20 s', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        docker.delayMs = 60_000;
        const slow = rtmp.start().catch((e: unknown) => e);
        const queued = rtmp.stop().catch((e: unknown) => e);
        await vi.advanceTimersByTimeAsync(20_000);
        expect(await queued).toMatchObject({ code: 'rtmp_busy' });
        expect(((await queued) as WaveError).getStatus()).toBe(503);
        docker.delayMs = 0;
        await vi.advanceTimersByTimeAsync(60_000 * 20);
        await slow;
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('config updates', () => {
    const file = () => readFile(join(dataDir, 'streaming-config.json'), 'utf8');

    it('checks with nginx -t and, when it is rejected, keeps the file and the container', async () => {
      await rtmp.start();
      const [before] = docker.containers.keys();
      const stored = await file();
      docker.checkResult = {
        exitCode: 1,
        output:
          'nginx: [emerg] unknown directive "x" in /etc/nginx/nginx.conf:3\nnginx: configuration file /etc/nginx/nginx.conf test failed',
      };
      const error = (await rtmp.updateConfig({ maxConnections: 5 }).catch((e: unknown) => e)) as WaveError;
      expect(error.getStatus()).toBe(422);
      expect(error.code).toBe('nginx_config_rejected');
      expect(await file()).toBe(stored);
      expect([...docker.containers.keys()]).toEqual([before]);
      expect(docker.checkedConfigs.at(-1)).toContain('max_connections 5;');
    });

    it('are saved with the engine away (schema checked at once), and the ingest starts on them when it is back', async () => {
      docker.unreachable = true;
      const view = await rtmp.updateConfig({ streamKeys: ['dj-new-key-0123'], rtmpPort: 1950 });
      expect(view).toMatchObject({ streamKeys: ['****0123'], rtmpPort: 1950 });
      expect(JSON.parse(await file())).toMatchObject({ streamKeys: ['dj-new-key-0123'], rtmpPort: 1950 });
      const invalid = (await rtmp.updateConfig({ rtmpPort: 70000 }).catch((e: unknown) => e)) as WaveError;
      expect(invalid.getStatus()).toBe(400);
      expect(JSON.parse(await file()).rtmpPort).toBe(1950);
      expect(docker.checkedConfigs).toEqual([]);
      docker.unreachable = false;
      await rtmp.start();
      const [ingest] = docker.containers.values();
      expect(docker.configOf(ingest.id)).toContain('listen 1950;');
    });

    it('are saved before the image is built; nginx -t runs as soon as engine and image are there', async () => {
      docker.images.clear();
      await rtmp.updateConfig({ maxConnections: 7 });
      expect(JSON.parse(await file()).maxConnections).toBe(7);
      expect(docker.checkedConfigs).toEqual([]);
      docker.images.add(IMAGE);
      await rtmp.updateConfig({ maxConnections: 8 });
      expect(docker.checkedConfigs.at(-1)).toContain('max_connections 8;');
    });

    it('saved unchecked and refused by nginx at start: 422 nginx_config_rejected with its words, no container left', async () => {
      docker.unreachable = true;
      // Nothing answers /stat on the new HTTP port, as when nginx refused to start.
      await rtmp.updateConfig({ rtmpPort: 1951, httpPort: SILENT_PORT });
      docker.unreachable = false;
      docker.exitsOnStart.add(1951);
      docker.exitOutput = 'nginx: [emerg] invalid number of arguments in "listen" directive in /etc/nginx/nginx.conf:12';
      const error = (await rtmp.start().catch((e: unknown) => e)) as WaveError;
      expect(error.getStatus()).toBe(422);
      expect(error.code).toBe('nginx_config_rejected');
      expect(JSON.stringify(error.getResponse())).toContain('invalid number of arguments');
      expect(docker.containers.size).toBe(0);
    });

    it('rejects equal ports with 400 and writes nothing', async () => {
      const stored = await file();
      const error = (await rtmp.updateConfig({ rtmpPort: 9000, httpPort: 9000 }).catch((e: unknown) => e)) as WaveError;
      expect(error.getStatus()).toBe(400);
      expect(await file()).toBe(stored);
    });

    it('replaces a running container with one serving the new config', async () => {
      await rtmp.start();
      const [before] = docker.containers.keys();
      const view = await rtmp.updateConfig({ rtmpPort: 1940, hlsEnabled: true });
      expect(view.streamKeys).toEqual(['****1b2d']);
      const [after] = docker.containers.values();
      expect(docker.containers.size).toBe(1);
      expect(after.id).not.toBe(before);
      expect(after.name).toBe('wave-rtmp');
      expect(docker.configOf(after.id)).toContain('listen 1940;');
      expect(docker.configOf(after.id)).toContain('hls on;');
      expect(JSON.parse(await file()).rtmpPort).toBe(1940);
    });

    it('rolls back when the new container cannot start: the old one runs again, the file is unchanged', async () => {
      await rtmp.start();
      const [old] = docker.containers.values();
      const stored = await file();
      docker.takenPorts.add(1941);
      const error = (await rtmp.updateConfig({ rtmpPort: 1941 }).catch((e: unknown) => e)) as WaveError;
      expect(error.getStatus()).toBe(409);
      expect(await file()).toBe(stored);
      expect(docker.containers.size).toBe(1);
      expect(docker.containers.get(old.id)).toMatchObject({ name: 'wave-rtmp', running: true });
    });

    it('rolls back when the new container exits right after start: the old one runs again under its name, nothing else is left', async () => {
      await rtmp.start();
      const [old] = docker.containers.values();
      const stored = await file();
      docker.exitsOnStart.add(1942);
      // Nothing answers /stat on the new HTTP port, as when nginx died.
      const error = (await rtmp.updateConfig({ rtmpPort: 1942, httpPort: SILENT_PORT }).catch((e: unknown) => e)) as WaveError;
      expect(error.code).toBe('rtmp_exited');
      expect(await file()).toBe(stored);
      expect([...docker.containers.keys()]).toEqual([old.id]);
      expect(docker.containers.get(old.id)).toMatchObject({ name: 'wave-rtmp', running: true });
    });
  });

  describe('publish callbacks', () => {
    const secretOf = () => /\/rtmp\/([A-Za-z0-9_-]+)\/publish;/.exec(docker.configOf([...docker.containers.keys()][0]))![1];
    const form = (name: string, app = 'live') => new URLSearchParams({ app, name, addr: '172.17.0.1', call: 'publish' });

    it('let a configured key on air under its publisherId, emitting a masked event', async () => {
      await rtmp.start();
      const published = await auth.decide(secretOf(), 'publish', form(KEY));
      expect(published).toEqual({ allow: true, renameTo: keys.publisherIdOf(KEY) });
      expect(published.renameTo).not.toContain(KEY);
      // nginx reports the end by the name it renamed the stream to.
      expect(await auth.decide(secretOf(), 'publish-done', form(published.renameTo!))).toEqual({ allow: true });
      const events_ = events
        .filter(([n]) => n.startsWith('rtmp.publish'))
        .map(([n, p]) => [n, (p as WaveEventMap['rtmp.publish.started']).stream, (p as WaveEventMap['rtmp.publish.started']).publisherId]);
      expect(events_).toEqual([
        ['rtmp.publish.started', '****1b2d', published.renameTo],
        ['rtmp.publish.stopped', '****1b2d', published.renameTo],
      ]);
      expect(JSON.stringify(events)).not.toContain(KEY);
      // The opaque publisher id leads to the live input, which names the stream as nginx knows it: no key.
      expect(await rtmp.liveInputUrlForPublisher(published.renameTo!)).toBe(`rtmp://127.0.0.1:1935/live/${published.renameTo}`);
      expect(await rtmp.liveInputUrlForPublisher('unknown-publisher')).toBeNull();
    });

    it('refuse a wrong key, a wrong application, a publisherId used as a key, and any call without the ingest secret', async () => {
      await rtmp.start();
      expect(await auth.decide(secretOf(), 'publish', form('not-a-configured-key'))).toEqual({ allow: false });
      expect(await auth.decide(secretOf(), 'publish', form(KEY, 'other'))).toEqual({ allow: false });
      expect(await auth.decide(secretOf(), 'publish', form(keys.publisherIdOf(KEY)))).toEqual({ allow: false });
      expect(await auth.decide('a-guessed-secret-0123456789', 'publish', form(KEY))).toEqual({ allow: false });
      expect(await auth.decide('a-guessed-secret-0123456789', 'publish-done', form(KEY))).toEqual({ allow: false });
    });
  });

  it('asks for the container secret on /stat, derived again by a restarted Wave from its label', async () => {
    await rtmp.start();
    const [container] = docker.containers.values();
    const conf = docker.configOf(container.id);
    const secret = /\/rtmp\/([A-Za-z0-9_-]+)\/publish;/.exec(conf)![1];
    expect(conf).toContain(`if ($http_authorization != "Bearer ${secret}")`);
    expect(JSON.stringify(container.labels)).not.toContain(secret);
    // Every read of /stat carried it.
    expect(nginxStat.reads.length).toBeGreaterThan(0);
    expect(nginxStat.reads.every((read) => read.secret === secret && read.port === STAT_PORT)).toBe(true);
    const restarted = new RtmpIngestKeys(
      new AppConfig(validateEnvironment({ DATA_DIR: dataDir })),
      new StorageRepository(),
      new FileLockRepository(),
    );
    await restarted.load();
    expect(restarted.containerSecret(container.labels[INGEST_NONCE_LABEL])).toBe(secret);
  });

  it('gives the live input URL for a relay, naming the stream by its publisherId', async () => {
    const url = await rtmp.liveInputUrl();
    expect(url).toBe(`rtmp://127.0.0.1:1935/live/${keys.publisherIdOf(KEY)}`);
    expect(url).not.toContain(KEY);
  });
});
