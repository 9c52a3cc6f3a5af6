import { Injectable, Logger } from '@nestjs/common';
import { Mutex, withTimeout } from 'async-mutex';
import { setTimeout as sleep } from 'node:timers/promises';
import { maskSecret, registerSecret } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import {
  ContainerState,
  DockerRepository,
  DockerTimeoutError,
  DockerUnavailableError,
  PortBinding,
} from '../repositories/docker.repository.js';
import { NginxStatRepository } from '../repositories/nginx-stat.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { NGINX_TEMPLATE_PATH, renderNginxConfig } from './nginx-config.renderer.js';
import { newContainerNonce, RtmpIngestKeys } from './ingest-keys.js';
import type { LiveIngest } from './live-ingest.js';
import { parseNginxStat, RtmpPublisherStats, RtmpServerStats, StreamIdentity } from './nginx-stat.js';
import { RtmpCallbackServer } from './rtmp-callback.server.js';
import { RtmpConfigDocument } from './rtmp-config.document.js';
import { RtmpConfigService, RtmpConfigView } from './rtmp-config.service.js';
import { callbackSecretHash, keyOfStreamName } from './rtmp-publish-auth.service.js';
import {
  CALLBACK_SECRET_LABEL,
  CONTAINER_HOST_ALIAS,
  HTTP_PORT_LABEL,
  INGEST_NONCE_LABEL,
  NGINX_BIN,
  NGINX_CONFIG_PATH,
  RTMP_CHECK_LABELS,
  RTMP_IMAGE_COMMAND,
  RTMP_LABELS,
} from './rtmp.constants.js';

/** Docker's state of the ingest container, as GET /api/stream/rtmp/status reports it (the status view maps it to RtmpState). */
export type RtmpContainerState = 'running' | 'stopped' | 'restarting' | 'paused';

export interface RtmpContainerStatus {
  id: string;
  name: string;
  image: string;
  /** Docker's own word: running, exited, created, … */
  dockerStatus: string;
  startedAt?: string;
  uptimeSeconds?: number;
  exitCode?: number;
  ports: PortBinding[];
}

export interface RtmpStatus {
  state: RtmpContainerState;
  /** Where DJs publish, without the key: rtmp://<host>:<port>/<application>. */
  publishUrl: string;
  container?: RtmpContainerStatus;
  /** nginx-rtmp's /stat while running. */
  stats?: RtmpServerStats;
  /** Why stats are missing while running (nginx not answering yet). */
  statsError?: string;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_SECONDS = 2;
/**
 * Longest wait for the operation ahead in the queue (an engine that answers, slowly: a replace with
 * nginx -t and a ready wait takes seconds). An engine that does not answer fails the queue at once.
 */
const QUEUE_TIMEOUT_MS = 20_000;
const QUEUE_TIMED_OUT = new Error('RTMP operation queue timeout');

/**
 * The RTMP ingest: an nginx-rtmp container Wave runs on the Docker engine. Its state is read from
 * Docker (containers carrying RTMP_LABELS) and nginx's /stat, never kept in memory; operations on
 * it are serialized.
 */
@Injectable()
export class RtmpService implements LiveIngest {
  private readonly logger = new Logger(RtmpService.name);
  private readonly operations = withTimeout(new Mutex(), QUEUE_TIMEOUT_MS, QUEUE_TIMED_OUT);
  /**
   * The nonce on the label of the ingest last seen in Docker, so that who is live can be read from nginx
   * while the engine is away or hung. Only a shortcut: unknown after a restart, then the engine is asked.
   */
  private lastIngestNonce?: string;
  /** The last operation that failed because the engine did not answer, and when (performance.now()). */
  private engineTimeout?: { at: number; error: DockerTimeoutError };
  /** docker/rtmp/nginx.conf.template, read once (a failed read is tried again). */
  private template?: Promise<string>;

  constructor(
    private readonly docker: DockerRepository,
    private readonly nginx: NginxStatRepository,
    private readonly configs: RtmpConfigService,
    private readonly callbacks: RtmpCallbackServer,
    private readonly keys: RtmpIngestKeys,
    private readonly storage: StorageRepository,
  ) {}

  /** Starts the ingest; when it already runs, answers its status (never a second container). */
  start(): Promise<RtmpStatus> {
    return this.serialized('start', async () => {
      const current = await this.findIngest();
      if (current?.running) return this.status();
      if (current) await this.docker.remove(current.id); // a stopped leftover: recreated with today's config
      await this.launch(await this.configs.read());
      return this.status();
    });
  }

  /** Stops and removes the ingest container; a no-op when none runs. */
  stop(): Promise<RtmpStatus> {
    return this.serialized('stop', async () => {
      for (const container of await this.docker.listContainers(RTMP_LABELS)) await this.retire(container);
      return this.status();
    });
  }

  restart(): Promise<RtmpStatus> {
    return this.serialized('restart', async () => {
      for (const container of await this.docker.listContainers(RTMP_LABELS)) await this.retire(container);
      await this.launch(await this.configs.read());
      return this.status();
    });
  }

  async config(): Promise<RtmpConfigView> {
    return this.configs.view(await this.configs.read());
  }

  /**
   * Validates a (partial) config and stores it. With an ingest running, its nginx.conf is checked with
   * `nginx -t` in a throwaway container and the ingest is replaced by one serving it; on any failure the
   * file and the running container stay as they were. With none running the config is saved even when
   * the engine is away or the image not built yet (the schema and the ports are checked at once, nginx
   * -t too when the engine and the image are there; nginx itself judges the rest when the ingest starts).
   */
  updateConfig(patch: Partial<RtmpConfigDocument>): Promise<RtmpConfigView> {
    return this.serialized('config update', async () => {
      const stored = await this.configs.update(patch, async (next) => {
        const running = await this.runningIngestIfReachable();
        if (running) {
          await this.checkNginxConfig(next);
          await this.replace(running, next);
        } else if (await this.imageAtHand(next.image)) {
          await this.checkNginxConfig(next);
        } else {
          this.logger.log('RTMP config saved without nginx -t (no engine or image yet); it is checked when the ingest starts');
        }
      });
      this.logger.log('RTMP config updated');
      return this.configs.view(stored);
    });
  }

  async status(): Promise<RtmpStatus> {
    const config = await this.configs.read();
    const container = await this.findIngest();
    const publishUrl = `rtmp://${this.docker.publishedHost}:${publishedPort(container, config.rtmpPort) ?? config.rtmpPort}/${config.application}`;
    if (!container) return { state: 'stopped', publishUrl };
    const state = stateOf(container);
    const status: RtmpStatus = { state, publishUrl, container: describe(container) };
    if (state === 'running') {
      try {
        status.stats = await this.readStats(container, config);
      } catch (error) {
        status.statsError = (error as Error).message;
      }
    }
    return status;
  }

  /**
   * The live input for a relay (e.g. the Telegram daemon) of a key (the first one by default):
   * rtmp://<host>:<port>/<application>/<publisherId>. nginx publishes each stream under its key's
   * publisherId (the publish callback renames it), so this URL carries no key and may be a decoder's argument.
   */
  async liveInputUrl(streamKey?: string): Promise<string> {
    const config = await this.configs.read();
    const key = streamKey ?? config.streamKeys[0];
    if (!key) throw new WaveError(409, 'no_stream_key', 'The RTMP ingest has no stream key configured');
    await this.keys.load();
    return `rtmp://${this.docker.publishedHost}:${config.rtmpPort}/${config.application}/${this.keys.publisherIdOf(key)}`;
  }

  /** The live input of the publisher a publish event names (`publisherId`), or null when none of the configured keys is that publisher's. */
  async liveInputUrlForPublisher(publisherId: string): Promise<string | null> {
    const { streamKeys } = await this.configs.read();
    await this.keys.load();
    const key = streamKeys.find((k) => this.keys.publisherIdOf(k) === publisherId);
    return key ? this.liveInputUrl(key) : null;
  }

  /**
   * Who is publishing to the configured application now, as nginx-rtmp's /stat says: longest on the air
   * first (first come, first served). nginx is asked first, on the configured HTTP port, so that the
   * answer does not wait on a hung or absent engine while the ingest serves; the engine only where nginx
   * does not answer there (no ingest runs, or it still runs on a port configured before), and not with
   * `askEngine: false` (the caller knows it just did not answer). Empty when no ingest runs; throws when
   * neither answers, or a running ingest's /stat cannot be read.
   */
  async livePublishers(options: { askEngine?: boolean } = {}): Promise<RtmpPublisherStats[]> {
    const config = await this.configs.read();
    let stats: RtmpServerStats;
    try {
      // The nonce of the ingest last read from Docker: /stat's secret without asking the engine again.
      stats = await this.readStatsAt(config.httpPort, this.lastIngestNonce, config.streamKeys);
    } catch (error) {
      if (options.askEngine === false) {
        throw new Error(`${(error as Error).message}, and the Docker engine did not answer just before`);
      }
      const container = await this.findIngest();
      if (!container || stateOf(container) !== 'running') return [];
      stats = await this.readStats(container, config);
    }
    return stats.publishers
      .filter((p) => p.application === config.application)
      .sort((a, b) => b.publishingSeconds - a.publishingSeconds || (a.clientId ?? 0) - (b.clientId ?? 0));
  }

  /** Why the configured image cannot run an ingest (it is not built), or null when it is there. */
  async missingImage(): Promise<string | null> {
    const { image } = await this.configs.read();
    return (await this.docker.imageExists(image)) ? null : imageMissingMessage(image);
  }

  /** The ingest container (running or not), or null. More than one is a leftover: the newest counts. */
  async findIngest(): Promise<ContainerState | null> {
    const containers = await this.docker.listContainers(RTMP_LABELS);
    containers.sort((a, b) => Number(b.running) - Number(a.running) || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
    return containers[0] ?? null;
  }

  /**
   * Runs one operation on the ingest at a time. A queued operation gives up after QUEUE_TIMEOUT_MS (503
   * rtmp_busy), and at once when the engine failed to answer an operation that finished while it waited
   * (504 docker_timeout): it would wait as long again on the same hung engine, and a queue of them would
   * wait once per operation. One queued after that failure asks the engine itself, so Wave recovers with it.
   */
  private serialized<T>(what: string, work: () => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    return this.operations
      .runExclusive(async () => {
        const hung = this.engineTimeout;
        if (hung && hung.at >= queuedAt) {
          throw new WaveError(504, 'docker_timeout', `${hung.error.message}; the RTMP ${what} queued behind it gives up too`);
        }
        try {
          return await work();
        } catch (error) {
          if (error instanceof DockerTimeoutError) this.engineTimeout = { at: performance.now(), error };
          throw error;
        }
      })
      .catch((error: unknown) => {
        if (error !== QUEUE_TIMED_OUT) throw error;
        throw new WaveError(
          503,
          'rtmp_busy',
          `Another RTMP operation has held the ingest for ${QUEUE_TIMEOUT_MS / 1000} s; the ${what} gives up, try again`,
        );
      });
  }

  /** Creates and starts the ingest for `config`, then waits until nginx answers. */
  private async launch(config: RtmpConfigDocument): Promise<ContainerState> {
    await this.requireImage(config.image);
    const sameName = await this.docker.inspect(config.containerName);
    if (sameName && !isIngest(sameName)) {
      throw new WaveError(
        409,
        'container_name_taken',
        `A container named ${config.containerName} exists and is not Wave's; choose another containerName`,
      );
    }
    const callbackBase = await this.callbacks.ensureListening();
    await this.keys.load();
    // Derived from Wave's key and a nonce on the label, so a restarted Wave can still read this /stat.
    const nonce = newContainerNonce();
    const secret = this.keys.containerSecret(nonce);
    registerSecret(secret);
    const id = await this.docker.create(
      {
        name: config.containerName,
        image: config.image,
        cmd: [NGINX_BIN, '-g', 'daemon off;'],
        labels: {
          ...RTMP_LABELS,
          [CALLBACK_SECRET_LABEL]: callbackSecretHash(secret),
          [INGEST_NONCE_LABEL]: nonce,
          [HTTP_PORT_LABEL]: String(config.httpPort),
        },
        ports: [
          { containerPort: config.rtmpPort, hostPort: config.rtmpPort, hostIp: '0.0.0.0' },
          // /stat and HLS are for Wave and a local reverse proxy only.
          { containerPort: config.httpPort, hostPort: config.httpPort, hostIp: '127.0.0.1' },
        ],
        extraHosts: [`${CONTAINER_HOST_ALIAS}:host-gateway`],
        restartPolicy: 'unless-stopped',
      },
      [{ path: NGINX_CONFIG_PATH, content: renderNginxConfig(await this.nginxTemplate(), config, `${callbackBase}/${secret}`, secret) }],
    );
    try {
      await this.docker.start(id);
      const started = (await this.docker.inspect(id))!;
      await this.waitUntilServing(started, config);
      this.logger.log(`RTMP ingest ${config.containerName} (${id.slice(0, 12)}) serving on port ${config.rtmpPort}`);
      return started;
    } catch (error) {
      // A failed container must not keep the name: a config rollback gives it back to the previous one.
      // An engine that stopped answering would not answer the removal either; the next start removes it.
      if (!(error instanceof DockerTimeoutError)) await this.docker.remove(id);
      throw error;
    }
  }

  /** Swaps the running ingest for one with `next`; if that fails, the old one is brought back as it was. */
  private async replace(old: ContainerState, next: RtmpConfigDocument): Promise<void> {
    await this.docker.stop(old.id, STOP_GRACE_SECONDS);
    await this.docker.rename(old.id, `${old.name}-replaced-${Date.now()}`);
    try {
      await this.launch(next);
    } catch (error) {
      this.logger.warn(`New RTMP config failed to start (${(error as Error).message}); bringing the previous container back`);
      await this.docker.rename(old.id, old.name);
      await this.docker.start(old.id);
      throw error;
    }
    await this.docker.remove(old.id);
  }

  private async retire(container: ContainerState): Promise<void> {
    await this.docker.stop(container.id, STOP_GRACE_SECONDS);
    await this.docker.remove(container.id);
    this.logger.log(`RTMP ingest ${container.name} (${container.id.slice(0, 12)}) stopped and removed`);
  }

  /** `nginx -t` on the rendered config, in a throwaway container of the configured image. */
  private async checkNginxConfig(config: RtmpConfigDocument): Promise<void> {
    await this.requireImage(config.image);
    const placeholderCallback = `http://${CONTAINER_HOST_ALIAS}:1/rtmp/config-check`;
    const { exitCode, output } = await this.docker.runToCompletion(
      {
        image: config.image,
        cmd: [NGINX_BIN, '-t', '-c', NGINX_CONFIG_PATH],
        labels: RTMP_CHECK_LABELS,
        extraHosts: [`${CONTAINER_HOST_ALIAS}:host-gateway`],
      },
      [
        {
          path: NGINX_CONFIG_PATH,
          content: renderNginxConfig(await this.nginxTemplate(), config, placeholderCallback, 'config-check-placeholder'),
        },
      ],
    );
    if (exitCode !== 0) {
      const reasons = nginxRejections(output);
      throw new WaveError(422, 'nginx_config_rejected', reasons.length > 0 ? reasons : [`nginx -t exited with ${exitCode}`]);
    }
  }

  private nginxTemplate(): Promise<string> {
    this.template ??= this.storage.readText(NGINX_TEMPLATE_PATH).catch((error: unknown) => {
      this.template = undefined;
      throw error;
    });
    return this.template;
  }

  /** The running ingest; null when none runs or the engine cannot be reached (then none can run). */
  private async runningIngestIfReachable(): Promise<ContainerState | null> {
    try {
      const ingest = await this.findIngest();
      return ingest?.running ? ingest : null;
    } catch (error) {
      if (error instanceof DockerUnavailableError) return null;
      throw error;
    }
  }

  /** True when the engine answers and has `image`, so `nginx -t` can run in it now. */
  private async imageAtHand(image: string): Promise<boolean> {
    try {
      return await this.docker.imageExists(image);
    } catch (error) {
      if (error instanceof DockerUnavailableError) return false;
      throw error;
    }
  }

  private async requireImage(image: string): Promise<void> {
    if (!(await this.docker.imageExists(image))) throw new WaveError(503, 'rtmp_image_missing', imageMissingMessage(image));
  }

  private async waitUntilServing(container: ContainerState, config: RtmpConfigDocument): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await this.readStats(container, config);
        return;
      } catch (error) {
        const now = await this.docker.inspect(container.id);
        // Not `running`: Docker counts a container in its restart back-off (`restarting`) as running.
        if (now?.status !== 'running') throw await this.exitedError(container.id, now?.exitCode);
        if (Date.now() > deadline) {
          this.logger.warn(`nginx /stat does not answer yet (${(error as Error).message}); the container is running`);
          return;
        }
        await sleep(100);
      }
    }
  }

  /** Why a container exited right after start: nginx refusing its config (422), else 502 rtmp_exited. */
  private async exitedError(id: string, exitCode: number | undefined): Promise<WaveError> {
    const output = await this.docker.logs(id).catch(() => '');
    const reasons = nginxRejections(output);
    if (reasons.length > 0) return new WaveError(422, 'nginx_config_rejected', reasons);
    return new WaveError(502, 'rtmp_exited', `The RTMP container exited right after start (exit code ${exitCode ?? 'unknown'})`);
  }

  private async readStats(container: ContainerState, config: RtmpConfigDocument): Promise<RtmpServerStats> {
    // The container's own HTTP port (its label), not today's config: the file may have changed since.
    const containerPort = Number(container.labels[HTTP_PORT_LABEL]) || config.httpPort;
    const nonce = container.labels[INGEST_NONCE_LABEL];
    this.lastIngestNonce = nonce;
    return this.readStatsAt(publishedPort(container, containerPort, '127.0.0.1') ?? containerPort, nonce, config.streamKeys);
  }

  /**
   * nginx's /stat on `port`. The bearer secret is the container's (from the nonce on its label); a container
   * started before /stat asked for one has no nonce (and an open /stat).
   */
  private async readStatsAt(port: number, nonce: string | undefined, streamKeys: string[]): Promise<RtmpServerStats> {
    await this.keys.load();
    const secret = nonce ? this.keys.containerSecret(nonce) : undefined;
    const xml = await this.nginx.read({ host: this.docker.publishedHost, port, secret });
    return parseNginxStat(xml, this.streamIdentity(streamKeys));
  }

  /** /stat lists publishers by publisherId (or by key, for one that went live before Wave renamed streams). */
  private streamIdentity(streamKeys: string[]): StreamIdentity {
    return (name) => {
      const key = keyOfStreamName(name, streamKeys, this.keys);
      return { publisherId: key ? this.keys.publisherIdOf(key) : name, stream: maskSecret(key ?? name) ?? '' };
    };
  }
}

function imageMissingMessage(image: string): string {
  return `The nginx-rtmp image ${image} is missing; build it with \`${RTMP_IMAGE_COMMAND} -- --tag ${image}\``;
}

/** nginx's own words for a configuration it refuses (`[emerg]` lines, the `test failed` verdict). */
function nginxRejections(output: string): string[] {
  return output.split(/\r?\n/).filter((line) => line.includes('[emerg]') || line.includes('failed'));
}

export function isIngest(container: ContainerState): boolean {
  return Object.entries(RTMP_LABELS).every(([k, v]) => container.labels[k] === v);
}

export function stateOf(container: ContainerState): RtmpContainerState {
  if (container.status === 'running') return 'running';
  if (container.status === 'restarting') return 'restarting';
  if (container.status === 'paused') return 'paused';
  return 'stopped';
}

function describe(container: ContainerState): RtmpContainerStatus {
  const uptime =
    container.running && container.startedAt ? Math.max(0, Math.round((Date.now() - Date.parse(container.startedAt)) / 1000)) : undefined;
  return {
    id: container.id,
    name: container.name,
    image: container.image,
    dockerStatus: container.status,
    startedAt: container.startedAt,
    uptimeSeconds: uptime,
    exitCode: container.exitCode,
    ports: container.ports,
  };
}

/** The host port a container publishes, preferring the binding on `hostIp` (else the first). */
function publishedPort(container: ContainerState | null, containerPort: number, hostIp?: string): number | undefined {
  const bindings = container?.ports.filter((p) => p.containerPort === containerPort) ?? [];
  return (bindings.find((p) => p.hostIp === hostIp) ?? bindings[0])?.hostPort;
}
