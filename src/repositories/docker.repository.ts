import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { AppConfig } from '../config/app-config.js';
import { WaveError } from '../common/wave-error.js';

/** The engine cannot be reached (not running, wrong DOCKER_HOST, no permission on the socket). */
export class DockerUnavailableError extends WaveError {
  constructor(where: string, cause: string) {
    const text = `Docker engine is unreachable at ${where}: ${cause}`;
    super(503, 'docker_unavailable', text);
  }
}

/**
 * The engine took longer than its bound to answer: hung (a dockerd stopped with SIGSTOP accepts
 * connections and never answers) or overloaded. 504, since Wave waited on the engine as a gateway does.
 */
export class DockerTimeoutError extends WaveError {
  constructor(where: string, what: string, ms: number) {
    super(504, 'docker_timeout', `Docker engine at ${where} did not answer within ${ms / 1000} s (${what})`);
  }
}

/** A host port a container wants is held by something else. */
export class PortInUseError extends WaveError {
  constructor(
    readonly port: number | undefined,
    cause: string,
  ) {
    const text = port ? `Port ${port} is already in use on the Docker host` : `A port is already in use: ${cause}`;
    super(409, 'port_in_use', text, port ? { port } : undefined);
  }
}

export interface PortBinding {
  containerPort: number;
  hostPort: number;
  /** Host address the port is published on, e.g. `0.0.0.0` or `127.0.0.1`. */
  hostIp: string;
}

export interface ContainerSpec {
  name?: string;
  image: string;
  cmd?: string[];
  labels?: Record<string, string>;
  ports?: PortBinding[];
  /** `host:ip` entries for /etc/hosts, e.g. `host.docker.internal:host-gateway`. */
  extraHosts?: string[];
  restartPolicy?: 'no' | 'unless-stopped';
  tty?: boolean;
}

/** A file placed into a container before it starts. */
export interface ContainerFile {
  path: string;
  content: string;
}

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Docker's state: created, running, restarting, paused, exited, dead, removing. */
  status: string;
  running: boolean;
  startedAt?: string;
  exitCode?: number;
  ports: PortBinding[];
}

export interface BridgeNetwork {
  /** IPv4 gateway as the engine's IPAM reports it (absent when the engine made the interface itself). */
  gateway?: string;
  /** IPv4 subnet, e.g. `172.17.0.0/16`; the engine gives the bridge its first address when it makes it. */
  subnet?: string;
  /** The host interface of the bridge, e.g. `docker0`. */
  interfaceName?: string;
}

export interface ContainerEvent {
  /** start, die, stop, kill, destroy, … */
  action: string;
  containerId: string;
  name?: string;
  labels: Record<string, string>;
  time: string;
}

export interface EventSubscription {
  close(): void;
}

/** Whether an outside system answers, as health and monitoring both report it. */
export interface EngineProbe {
  up: boolean;
  /** Up: the engine's version; down: why (unreachable, or did not answer within its bound). */
  detail: string;
}

/** How long one engine call may take before it fails with DockerTimeoutError. */
export interface DockerTimeouts {
  /** Pings, lists, inspections, logs, renames: a healthy engine answers them in milliseconds. */
  readMs: number;
  /** Creating, starting and removing a container, copying files into it: a busy engine takes seconds. */
  writeMs: number;
}

/** Optional provider of DockerTimeouts (specs shorten them); the defaults suit a real engine on 2 cores. */
export const DOCKER_TIMEOUTS = Symbol('DOCKER_TIMEOUTS');
const DEFAULT_TIMEOUTS: DockerTimeouts = { readMs: 3000, writeMs: 10_000 };
/**
 * A request socket silent this long is destroyed. Each call is bounded by its own timer; this only frees the
 * sockets of calls whose dockerode method drops the abort signal (image and network inspect), so a hung
 * engine does not collect open requests. Longer than any call's bound (a container's wait: 30 s).
 */
const SOCKET_IDLE_MS = 60_000;
const ADDRESS_IN_USE = /port is already allocated|address already in use/i;

/**
 * The one wrapper around the Docker engine (dockerode), on the engine `DOCKER_HOST` names or the
 * default socket. Engine-unreachable errors become DockerUnavailableError (503 docker_unavailable);
 * every call is bounded in time (DockerTimeouts) and a call past its bound is aborted and fails with
 * DockerTimeoutError (504 docker_timeout), so a hung engine holds no caller longer than that.
 */
@Injectable()
export class DockerRepository implements OnModuleDestroy {
  private readonly docker: Docker;
  /** For the event stream alone: no idle timeout, it is silent while nothing happens. */
  private readonly streams: Docker;
  private readonly where: string;
  private readonly timeouts: DockerTimeouts;
  private readonly subscriptions = new Set<EventSubscription>();
  /** Where ports published by the engine are reached from Wave: the engine's host. */
  readonly publishedHost: string;

  constructor(config: AppConfig, @Optional() @Inject(DOCKER_TIMEOUTS) timeouts?: Partial<DockerTimeouts>) {
    const host = config.dockerHost;
    this.where = host ?? 'the default socket (/var/run/docker.sock)';
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    // docker-modem reads DOCKER_HOST (and its TLS settings) itself; a unix socket is passed explicitly.
    const client = (options: Docker.DockerOptions) =>
      host?.startsWith('unix://') ? new Docker({ ...options, socketPath: host.slice('unix://'.length) }) : new Docker(options);
    this.docker = client({ timeout: SOCKET_IDLE_MS });
    this.streams = client({});
    this.publishedHost = host && /^(tcp|https?):\/\//.test(host) ? new URL(host).hostname : '127.0.0.1';
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.close();
  }

  async ping(): Promise<void> {
    // dockerode's ping takes an abort signal; its type declarations lag behind.
    const ping = this.docker.ping.bind(this.docker) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await this.call('ping', (abortSignal) => ping({ abortSignal }));
  }

  /** The one check of "is Docker up" (health's `docker` indicator, monitoring's engine state): a ping, then the version. */
  async probe(): Promise<EngineProbe> {
    try {
      await this.ping();
      return { up: true, detail: await this.version() };
    } catch (error) {
      return { up: false, detail: (error as Error).message };
    }
  }

  async version(): Promise<string> {
    const version = this.docker.version.bind(this.docker) as (opts: { abortSignal: AbortSignal }) => Promise<Docker.DockerVersion>;
    const info = await this.call('version', (abortSignal) => version({ abortSignal }));
    return info.Version;
  }

  async imageExists(image: string): Promise<boolean> {
    // Image inspect drops the abort signal (dockerode); the call's timer still bounds it.
    return this.call('image inspect', () => this.docker.getImage(image).inspect())
      .then(() => true)
      .catch((error: unknown) => (isNotFound(error) ? false : Promise.reject(error)));
  }

  /** Containers (running or not) carrying every one of `labels`. */
  async listContainers(labels: Record<string, string>): Promise<ContainerState[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const summaries = await this.call('container list', (abortSignal) => this.docker.listContainers({ all: true, filters, abortSignal }));
    const states = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return states.filter((s): s is ContainerState => s !== null);
  }

  /** The container by id or name, or null when there is none. */
  async inspect(idOrName: string): Promise<ContainerState | null> {
    try {
      const info = await this.call('container inspect', (abortSignal) => this.docker.getContainer(idOrName).inspect({ abortSignal }));
      return toState(info);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Creates a container and copies `files` into it; it is not started. Returns its id. */
  async create(spec: ContainerSpec, files: ContainerFile[] = []): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const p of spec.ports ?? []) {
      exposed[`${p.containerPort}/tcp`] = {};
      bindings[`${p.containerPort}/tcp`] = [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }];
    }
    const options: Docker.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: spec.labels,
      Tty: spec.tty ?? false,
      ExposedPorts: exposed,
      HostConfig: {
        PortBindings: bindings,
        ExtraHosts: spec.extraHosts,
        RestartPolicy: { Name: spec.restartPolicy ?? 'no' },
      },
    };
    const container = await this.call(
      'container create',
      (abortSignal) => this.docker.createContainer({ ...options, abortSignal }),
      this.timeouts.writeMs,
    );
    try {
      if (files.length > 0) {
        await this.call(
          'archive upload',
          (abortSignal) => container.putArchive(tarOf(files), { path: '/', abortSignal }),
          this.timeouts.writeMs,
        );
      }
    } catch (error) {
      await this.remove(container.id);
      throw error;
    }
    return container.id;
  }

  /** Starts a created container; a host port taken by something else → PortInUseError. */
  async start(id: string): Promise<void> {
    try {
      await this.call('container start', (abortSignal) => this.docker.getContainer(id).start({ abortSignal }), this.timeouts.writeMs);
    } catch (error) {
      const message = errorMessage(error);
      if (ADDRESS_IN_USE.test(message)) {
        const port = /:(\d{1,5})(?:\D|$)/.exec(message.replace(/.*?(Bind for|listen tcp\S*)/i, '$1'))?.[1];
        throw new PortInUseError(port ? Number(port) : undefined, message);
      }
      throw error;
    }
  }

  /** Stops a running container (no-op when it is not running). */
  async stop(id: string, timeoutSeconds = 5): Promise<void> {
    try {
      // The engine answers once the container stopped: its grace time, then the call's own bound.
      await this.call(
        'container stop',
        (abortSignal) => this.docker.getContainer(id).stop({ t: timeoutSeconds, abortSignal }),
        this.timeouts.writeMs + timeoutSeconds * 1000,
      );
    } catch (error) {
      // 304: already stopped; 404: already gone.
      if (statusOf(error) === 304 || isNotFound(error)) return;
      throw error;
    }
  }

  /** Removes a container, stopping it first if needed (no-op when it is gone). */
  async remove(id: string): Promise<void> {
    try {
      await this.call(
        'container remove',
        (abortSignal) => this.docker.getContainer(id).remove({ force: true, v: true, abortSignal }),
        this.timeouts.writeMs,
      );
    } catch (error) {
      // 404: gone; 409: removal already in progress.
      if (isNotFound(error) || statusOf(error) === 409) return;
      throw error;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    await this.call('container rename', (abortSignal) => this.docker.getContainer(id).rename({ name, abortSignal }));
  }

  /** What a container wrote to stdout and stderr so far (its last `tail` lines), as text. */
  async logs(id: string, tail = 50): Promise<string> {
    const container = this.docker.getContainer(id);
    const [info, output] = await Promise.all([
      this.call('container inspect', (abortSignal) => container.inspect({ abortSignal })),
      this.call<Buffer>('container logs', (abortSignal) =>
        container.logs({ stdout: true, stderr: true, follow: false, tail, abortSignal }),
      ),
    ]);
    return (info.Config.Tty ? output : demultiplexed(output)).toString('utf8');
  }

  /**
   * Runs a short-lived container to completion and removes it: its exit code and output.
   * Used for checks such as `nginx -t` on a candidate configuration.
   */
  async runToCompletion(spec: ContainerSpec, files: ContainerFile[], timeoutMs = 30_000): Promise<{ exitCode: number; output: string }> {
    const id = await this.create({ ...spec, tty: true, restartPolicy: 'no' }, files);
    try {
      const container = this.docker.getContainer(id);
      await this.call('container start', (abortSignal) => container.start({ abortSignal }), this.timeouts.writeMs);
      const result = (await this.call('container wait', (abortSignal) => container.wait({ abortSignal }), timeoutMs)) as {
        StatusCode: number;
      };
      const output = await this.call<Buffer>('container logs', (abortSignal) =>
        container.logs({ stdout: true, stderr: true, follow: false, abortSignal }),
      );
      return { exitCode: result.StatusCode, output: output.toString('utf8') };
    } finally {
      await this.remove(id);
    }
  }

  /**
   * The engine's default bridge network (how containers reach the host), or undefined when it has none.
   * An engine that created its bridge interface itself (a brand-new machine, no `docker0` before) reports
   * no gateway in IPAM, only the subnet and the interface's name.
   */
  async bridgeNetwork(): Promise<BridgeNetwork | undefined> {
    try {
      // Network inspect drops the abort signal (dockerode); the call's timer still bounds it.
      const network = await this.call('network inspect', () => this.docker.getNetwork('bridge').inspect());
      const configs = ((network.IPAM?.Config ?? []) as Array<{ Gateway?: string; Subnet?: string }>).filter(
        (c) => !c.Subnet?.includes(':'),
      );
      const options = (network.Options ?? {}) as Record<string, string>;
      return {
        gateway: configs.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway,
        subnet: configs.find((c) => c.Subnet)?.Subnet,
        interfaceName: options['com.docker.network.bridge.name'],
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Follows the engine's container events for containers carrying `labels`. `onEnd` is called when
   * the stream ends or fails (engine restarted, unreachable); the caller decides when to resubscribe.
   */
  async watchContainerEvents(
    labels: Record<string, string>,
    onEvent: (event: ContainerEvent) => void,
    onEnd: (error?: Error) => void,
  ): Promise<EventSubscription> {
    const filters = { type: ['container' as const], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    // Bounded until the engine answers; the stream itself then stays open as long as the engine keeps it.
    const stream = (await this.call('event subscription', (abortSignal) => this.streams.getEvents({ filters, abortSignal }))) as Readable;
    let buffered = '';
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      this.subscriptions.delete(subscription);
      onEnd(error);
    };
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) onEvent(toEvent(JSON.parse(line) as RawEvent));
      }
    });
    stream.once('error', (error: Error) => end(error));
    stream.once('close', () => end());
    stream.once('end', () => end());
    const subscription: EventSubscription = {
      close: () => {
        ended = true;
        this.subscriptions.delete(subscription);
        stream.destroy();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Runs an engine call, bounded by `timeoutMs` (a read's bound unless told): past it the request is
   * aborted and the call fails with DockerTimeoutError, whether or not dockerode honours the signal.
   * Connection-level failures become DockerUnavailableError.
   */
  private async call<T>(what: string, operation: (abortSignal: AbortSignal) => Promise<T>, timeoutMs = this.timeouts.readMs): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new DockerTimeoutError(this.where, what, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([operation(controller.signal), timedOut]);
    } catch (error) {
      // The aborted request's own error (AbortError, socket hang up) may come first: the timeout is the news.
      if (controller.signal.aborted) throw controller.signal.reason as DockerTimeoutError;
      if (isUnreachable(error)) throw new DockerUnavailableError(this.where, errorMessage(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

interface RawEvent {
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

function toEvent(raw: RawEvent): ContainerEvent {
  const { name, image: _image, ...labels } = raw.Actor?.Attributes ?? {};
  return {
    action: (raw.Action ?? raw.status ?? '').split(':')[0],
    containerId: raw.Actor?.ID ?? raw.id ?? '',
    name,
    labels,
    time: new Date(raw.timeNano ? raw.timeNano / 1e6 : (raw.time ?? 0) * 1000).toISOString(),
  };
}

function toState(info: Docker.ContainerInspectInfo): ContainerState {
  const ports: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(
    (info.HostConfig.PortBindings ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>,
  )) {
    for (const b of bindings ?? []) {
      ports.push({ containerPort: Number.parseInt(key, 10), hostPort: Number(b.HostPort), hostIp: b.HostIp || '0.0.0.0' });
    }
  }
  const started = info.State.StartedAt && !info.State.StartedAt.startsWith('0001') ? info.State.StartedAt : undefined;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    labels: info.Config.Labels ?? {},
    status: info.State.Status,
    running: info.State.Running,
    startedAt: started,
    exitCode: info.State.Running ? undefined : info.State.ExitCode,
    ports,
  };
}

function tarOf(files: ContainerFile[]): Readable {
  const archive = pack();
  for (const file of files) archive.entry({ name: file.path.replace(/^\//, ''), mode: 0o644 }, file.content);
  archive.finalize();
  return archive as unknown as Readable;
}

/** The payload of Docker's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) joined. */
function demultiplexed(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

function errorMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string };
  return e.json?.message ?? e.message ?? String(error);
}

function isUnreachable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return !!code && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE'].includes(code);
}
