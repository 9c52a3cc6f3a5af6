import { randomUUID } from 'node:crypto';
import type {
  BridgeNetwork,
  ContainerEvent,
  ContainerFile,
  ContainerSpec,
  ContainerState,
  DockerRepository,
  EngineProbe,
  EventSubscription,
} from '../../src/repositories/docker.repository.js';
import { DockerTimeoutError, DockerUnavailableError, PortInUseError } from '../../src/repositories/docker.repository.js';
import type { RepositoryApi } from './repository-api.js';

/** In-memory stand-in for DockerRepository in unit specs: containers, files, images, taken ports, their events. */
export class FakeDockerRepository implements RepositoryApi<DockerRepository> {
  readonly publishedHost = '127.0.0.1';
  readonly containers = new Map<string, ContainerState & { files: ContainerFile[] }>();
  readonly images = new Set<string>();
  readonly takenPorts = new Set<number>();
  /** Host ports whose container exits right after it starts (a config nginx -t passes but nginx cannot serve). */
  readonly exitsOnStart = new Set<number>();
  readonly calls: string[] = [];
  /** What `runToCompletion` (nginx -t) answers. */
  checkResult = { exitCode: 0, output: 'nginx: configuration file /etc/nginx/nginx.conf test is successful' };
  checkedConfigs: string[] = [];

  onModuleDestroy(): void {
    for (const watcher of [...this.watchers]) watcher.end();
  }

  async ping(): Promise<void> {
    await this.answer('ping');
    this.reach();
  }
  async version(): Promise<string> {
    await this.answer('version');
    this.reach();
    return '26.1.5';
  }
  /** As the repository's: up with the version while the fake engine answers, down with why. */
  async probe(): Promise<EngineProbe> {
    try {
      await this.ping();
      return { up: true, detail: await this.version() };
    } catch (error) {
      return { up: false, detail: (error as Error).message };
    }
  }
  async imageExists(image: string): Promise<boolean> {
    await this.answer('image inspect');
    this.reach();
    return this.images.has(image);
  }
  async listContainers(labels: Record<string, string>): Promise<ContainerState[]> {
    await this.answer('container list');
    this.reach();
    return [...this.containers.values()].filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v)).map(strip);
  }
  async inspect(idOrName: string): Promise<ContainerState | null> {
    await this.answer('container inspect');
    this.reach();
    const found = this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.name === idOrName);
    return found ? strip(found) : null;
  }
  async create(spec: ContainerSpec, files: ContainerFile[] = []): Promise<string> {
    await this.answer('container create');
    this.reach();
    await tick();
    this.calls.push(`create ${spec.name}`);
    if (spec.name && (await this.inspect(spec.name)))
      throw Object.assign(new Error(`Conflict. The container name "/${spec.name}" is already in use`), { statusCode: 409 });
    const id = randomUUID().replace(/-/g, '');
    this.containers.set(id, {
      id,
      name: spec.name ?? id.slice(0, 12),
      image: spec.image,
      labels: { ...spec.labels },
      status: 'created',
      running: false,
      ports: spec.ports ?? [],
      files,
    });
    this.emit('create', id);
    return id;
  }
  async start(id: string): Promise<void> {
    await this.answer('container start');
    await tick();
    this.calls.push(`start ${id}`);
    const c = this.containers.get(id)!;
    const taken = c.ports.find((p) => this.takenPorts.has(p.hostPort));
    if (taken) throw new PortInUseError(taken.hostPort, 'port is already allocated');
    Object.assign(c, { status: 'running', running: true, startedAt: new Date().toISOString(), exitCode: undefined });
    this.emit('start', id);
    if (c.ports.some((p) => this.exitsOnStart.has(p.hostPort))) {
      Object.assign(c, { status: 'exited', running: false, exitCode: 1 });
      this.emit('die', id);
    }
  }
  async stop(id: string): Promise<void> {
    await this.answer('container stop');
    this.calls.push(`stop ${id}`);
    const c = this.containers.get(id);
    if (c?.running) {
      Object.assign(c, { status: 'exited', running: false, exitCode: 0 });
      this.emit('die', id);
      this.emit('stop', id);
    }
  }
  async remove(id: string): Promise<void> {
    await this.answer('container remove');
    this.calls.push(`remove ${id}`);
    if (this.containers.has(id)) this.emit('destroy', id);
    this.containers.delete(id);
  }
  async rename(id: string, name: string): Promise<void> {
    await this.answer('container rename');
    const holder = await this.inspect(name);
    if (holder && holder.id !== id)
      throw Object.assign(new Error(`Conflict. The container name "/${name}" is already in use`), { statusCode: 409 });
    this.containers.get(id)!.name = name;
  }
  async runToCompletion(_spec: ContainerSpec, files: ContainerFile[]): Promise<{ exitCode: number; output: string }> {
    await this.answer('container wait');
    this.checkedConfigs.push(files[0]?.content ?? '');
    return this.checkResult;
  }
  /** What a container exiting on start (exitsOnStart) wrote. */
  exitOutput = 'nginx: [alert] could not open error log file';
  async logs(id: string): Promise<string> {
    await this.answer('container logs');
    return this.containers.get(id)?.running === false && this.containers.get(id)?.exitCode ? this.exitOutput : '';
  }
  /** What `bridgeNetwork` answers (none: callbacks bind to loopback). */
  bridge: BridgeNetwork | undefined = undefined;
  async bridgeNetwork(): Promise<BridgeNetwork | undefined> {
    await this.answer('network inspect');
    return this.bridge;
  }

  private readonly watchers = new Set<{
    labels: Record<string, string>;
    onEvent: (e: ContainerEvent) => void;
    end: (error?: Error) => void;
  }>();

  /** Follows the events of containers carrying `labels`, as the engine's event stream does. */
  async watchContainerEvents(
    labels: Record<string, string>,
    onEvent: (event: ContainerEvent) => void,
    onEnd: (error?: Error) => void,
  ): Promise<EventSubscription> {
    await this.answer('event subscription');
    this.reach();
    const watcher = {
      labels,
      onEvent,
      end: (error?: Error) => {
        if (this.watchers.delete(watcher)) onEnd(error);
      },
    };
    this.watchers.add(watcher);
    return { close: () => void this.watchers.delete(watcher) };
  }

  /** The engine's event stream breaks off (an engine restarted or gone): every subscription ends. */
  endEvents(error = new Error('the engine went away')): void {
    for (const watcher of [...this.watchers]) watcher.end(error);
  }

  private emit(action: string, id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    const event: ContainerEvent = { action, containerId: id, name: c.name, labels: { ...c.labels }, time: new Date().toISOString() };
    for (const w of this.watchers) if (Object.entries(w.labels).every(([k, v]) => c.labels[k] === v)) w.onEvent(event);
  }

  /**
   * Every engine call fails after this long, as the repository's bound makes a hung engine's calls fail
   * (504 docker_timeout); null: the engine answers.
   */
  hangMs: number | null = null;
  /** Every engine call answers only after this long (a loaded engine); `hangCalls` counts those begun while hung. */
  delayMs = 0;
  hangCalls = 0;
  private async answer(what: string): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.hangMs === null) return;
    this.hangCalls += 1;
    const ms = this.hangMs;
    await sleep(ms);
    throw new DockerTimeoutError('the fake engine', what, ms);
  }

  /** Every engine call fails as with the engine stopped (503 docker_unavailable). */
  unreachable = false;
  private reach(): void {
    if (this.unreachable) throw new DockerUnavailableError('the fake engine', 'connect ENOENT');
  }

  /** The nginx.conf a container was created with. */
  configOf(id: string): string {
    return this.containers.get(id)?.files.find((f) => f.path === '/etc/nginx/nginx.conf')?.content ?? '';
  }
}

function strip({ files: _files, ...state }: ContainerState & { files: ContainerFile[] }): ContainerState {
  return structuredClone(state);
}

/** The global timer (not node:timers/promises), so specs can fake it. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lets concurrent callers interleave, as real engine calls do. */
const tick = () => new Promise((resolve) => setImmediate(resolve));
