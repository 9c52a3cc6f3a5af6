import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pm2, { type ProcessDescription, type StartOptions } from 'pm2';
import { WaveError } from '../common/wave-error.js';

/** A PM2-managed process as Wave reports it (read from PM2 each time, never mirrored). */
export interface Pm2ProcessInfo {
  name: string;
  pmId: number;
  /** PM2's state: online, stopping, stopped, launching, errored, … */
  status: string;
  pid: number | null;
  /** When the current run started (ms since epoch), while online. */
  startedAt: number | null;
  /** Restarts PM2 performed or was asked for since the app was added. */
  restarts: number;
  unstableRestarts: number;
  memoryBytes: number;
  cpuPercent: number;
}

/** What a process sent with `process.send({ type: 'process:msg', data })`, relayed by PM2's bus. */
export interface Pm2ProcessMessage {
  processName: string;
  pmId: number;
  data: unknown;
}

/** A lifecycle event PM2 raised for a process (`online`, `exit`, `stop`, `restart`, …). */
export interface Pm2ProcessEvent {
  processName: string;
  pmId: number;
  event: string;
  /** PM2's state of the process after the event. */
  status: string | null;
  /** The process's exit code (on `exit`; null when it died by a signal or PM2 does not say). */
  exitCode: number | null;
}

/**
 * What a look at PM2 finds, as health and monitoring both report it: no daemon (Wave launches one with the
 * Telegram stream), a daemon that answers (its process table), or one that is there and does not answer.
 */
export type Pm2Probe =
  { daemon: 'not running' } | { daemon: 'running'; processes: Pm2ProcessInfo[] } | { daemon: 'not answering'; message: string };

/** PM2's own definition of an app (the shape of an entry in ecosystem.config.js). */
export type Pm2AppDefinition = StartOptions & { name: string } & Record<string, unknown>;

/** PM2 internals used to close its sockets and to look for a daemon without launching one. */
interface Pm2Internals {
  pm2_home: string;
  /** Typed without its callback in pm2's declarations. */
  disconnect(cb: () => void): void;
  Client: {
    client_sock?: ClosableSocket;
    sub_sock?: ClosableSocket;
    pingDaemon(cb: (alive: boolean) => void): void;
  };
}
interface ClosableSocket {
  close(): void;
  destroy?(): void;
  once(event: 'reconnect attempt', listener: () => void): void;
}
interface BusPacket {
  process?: { name?: string; pm_id?: number; status?: string; exit_code?: number | null };
  data?: unknown;
  event?: string;
}
interface Pm2Bus {
  on(event: string, listener: (packet: BusPacket) => void): void;
}

const CONNECT_TIMEOUT_MS = 15_000;
/** Starting, stopping, restarting, deleting an app: PM2 answers once the process is up or gone. */
const CALL_TIMEOUT_MS = 20_000;
/** Reading the process table, sending a message: PM2 answers at once, so status reads fail in seconds. */
const READ_TIMEOUT_MS = 5_000;
const PING_TIMEOUT_MS = 3_000;
/** A probe (health, monitoring) answers quickly even when PM2 does not. */
const PROBE_TIMEOUT_MS = 3_000;
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The one wrapper around PM2's programmatic API: one connection per Wave process (PM2 locks up when
 * `connect` is called twice), opened lazily, and the bus relaying processes' messages and lifecycle
 * events. PM2's home is PM2's own `PM2_HOME`. Every call is bounded in time: a PM2 that does not
 * answer becomes a 503 and the connection is dropped, so the next call starts afresh.
 */
@Injectable()
export class Pm2Repository implements OnApplicationShutdown {
  private readonly logger = new Logger(Pm2Repository.name);
  private readonly internals = pm2 as unknown as Pm2Internals;
  private readonly bus = new EventEmitter();
  private connection: Promise<void> | null = null;
  private closed = false;

  constructor() {
    // PM2's API prints banners and progress to stdout unless told it is used programmatically.
    process.env.PM2_PROGRAMMATIC = 'true';
  }

  /** PM2's home directory (sockets, pid file, its own log). */
  get home(): string {
    return this.internals.pm2_home;
  }

  /** True when a PM2 daemon answers in PM2_HOME; never launches one. */
  async isDaemonRunning(): Promise<boolean> {
    if (this.connection) return true;
    // No RPC socket, no daemon: answering at once spares health probes PM2's ping time-out.
    if (process.platform !== 'win32' && !existsSync(join(this.home, 'rpc.sock'))) return false;
    return this.bounded(
      new Promise<boolean>((resolve) => this.internals.Client.pingDaemon(resolve)),
      PING_TIMEOUT_MS,
      'ping the PM2 daemon',
    ).catch(() => false);
  }

  /**
   * The one check of "is PM2 up" (health's `pm2` indicator, monitoring's daemon state): never launches a
   * daemon; a running one must answer its process table within 3 s.
   */
  async probe(): Promise<Pm2Probe> {
    if (!(await this.isDaemonRunning())) return { daemon: 'not running' };
    let timer: NodeJS.Timeout | undefined;
    try {
      const processes = await Promise.race([
        this.list(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`PM2 did not answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
        }),
      ]);
      return { daemon: 'running', processes };
    } catch (error) {
      return { daemon: 'not answering', message: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connects to the PM2 daemon (launching it when none runs) and subscribes to its bus. Idempotent. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new WaveError(503, 'pm2_unavailable', 'Wave is shutting down'));
    this.connection ??= this.openConnection().catch((error: unknown) => {
      this.dropConnection();
      throw error;
    });
    return this.connection;
  }

  /** Connects only if a daemon is already running (so Wave finds what it left running); true when connected. */
  async connectIfRunning(): Promise<boolean> {
    if (!(await this.isDaemonRunning())) return false;
    await this.connect();
    return true;
  }

  /** The process named `name`, or null when PM2 does not know it (or no daemon runs). */
  async describe(name: string): Promise<Pm2ProcessInfo | null> {
    if (!(await this.connectIfRunning())) return null;
    const found = await this.call<ProcessDescription[]>('describe', (cb) => pm2.describe(name, cb), READ_TIMEOUT_MS);
    return found.length > 0 ? toProcessInfo(found[0]) : null;
  }

  /** Every process PM2 manages (empty when no daemon runs). */
  async list(): Promise<Pm2ProcessInfo[]> {
    if (!(await this.connectIfRunning())) return [];
    const found = await this.call<ProcessDescription[]>('list', (cb) => pm2.list(cb), READ_TIMEOUT_MS);
    return found.map(toProcessInfo);
  }

  /** Adds and starts an app; PM2 restarts it instead if one by that name exists. */
  async start(app: Pm2AppDefinition): Promise<Pm2ProcessInfo> {
    if (typeof app.script === 'string' && !existsSync(app.script)) {
      throw new WaveError(503, 'script_missing', `${app.name}'s script ${app.script} is missing (build first: npm run build)`);
    }
    await this.connect();
    await this.call('start', (cb) => pm2.start(app, cb));
    const started = await this.describe(app.name);
    if (!started) throw new WaveError(502, 'pm2_failed', `PM2 did not keep ${app.name} after starting it`);
    return started;
  }

  async stop(name: string): Promise<void> {
    await this.connect();
    await this.call('stop', (cb) => pm2.stop(name, cb));
  }

  async restart(name: string): Promise<void> {
    await this.connect();
    await this.call('restart', (cb) => pm2.restart(name, cb));
  }

  /** Stops the process and removes it from PM2's list. */
  async delete(name: string): Promise<void> {
    await this.connect();
    await this.call('delete', (cb) => pm2.delete(name, cb));
  }

  /** Sends `data` to the process's `process.on('message')` as `{ type: 'process:msg', topic, data }`. */
  async sendData(pmId: number, topic: string, data: object): Promise<void> {
    await this.connect();
    await this.call(
      'sendDataToProcessId',
      (cb) => pm2.sendDataToProcessId(pmId, { type: 'process:msg', topic, data } as never, cb),
      READ_TIMEOUT_MS,
    );
  }

  /** Calls `listener` for each `process:msg` any PM2 process sends; returns the unsubscribe function. */
  onMessage(listener: (message: Pm2ProcessMessage) => void): () => void {
    this.bus.on('message', listener);
    return () => this.bus.off('message', listener);
  }

  /** Calls `listener` for each PM2 lifecycle event (`process:event`); returns the unsubscribe function. */
  onProcessEvent(listener: (event: Pm2ProcessEvent) => void): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }

  /** Closes the connection and the bus; the daemon and its apps keep running. Never hangs. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.connection) return;
    await this.connection.catch(() => undefined);
    await this.bounded(new Promise<void>((resolve) => this.internals.disconnect(() => resolve())), CLOSE_TIMEOUT_MS, 'disconnect').catch(
      () => undefined,
    );
    // disconnect() can leave PM2's RPC and bus sockets reconnecting, which keeps the process alive.
    this.dropConnection();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async openConnection(): Promise<void> {
    await this.bounded(
      new Promise<void>((resolve, reject) => pm2.connect((error) => (error ? reject(error) : resolve()))),
      CONNECT_TIMEOUT_MS,
      'connect to the PM2 daemon',
    );
    const bus = await this.bounded(
      new Promise<Pm2Bus>((resolve, reject) =>
        pm2.launchBus((error: Error | null, launched: Pm2Bus) => (error ? reject(error) : resolve(launched))),
      ),
      CONNECT_TIMEOUT_MS,
      "subscribe to PM2's bus",
    );
    bus.on('process:msg', (packet) => {
      if (!packet.process?.name || packet.process.pm_id === undefined) return;
      this.emitSafely('message', { processName: packet.process.name, pmId: packet.process.pm_id, data: packet.data });
    });
    bus.on('process:event', (packet) => {
      if (!packet.process?.name || packet.process.pm_id === undefined || !packet.event) return;
      this.emitSafely('event', {
        processName: packet.process.name,
        pmId: packet.process.pm_id,
        event: packet.event,
        status: packet.process.status ?? null,
        exitCode: typeof packet.process.exit_code === 'number' ? packet.process.exit_code : null,
      });
    });
    // The RPC socket retries by itself when PM2's daemon dies; the connection would otherwise look alive
    // (health "up", calls hanging until their timeout) until a call failed.
    this.internals.Client.client_sock?.once('reconnect attempt', () => {
      this.logger.warn(`the PM2 daemon went away (PM2_HOME ${this.home})`);
      this.dropConnection();
    });
    this.logger.log(`connected to PM2 (PM2_HOME ${this.home})`);
  }

  /** A listener's failure is logged, never thrown into PM2's socket handlers. */
  private emitSafely(channel: 'message' | 'event', payload: Pm2ProcessMessage | Pm2ProcessEvent): void {
    try {
      this.bus.emit(channel, payload);
    } catch (error) {
      this.logger.error({ message: `a PM2 ${channel} listener failed`, error });
    }
  }

  /**
   * Runs one PM2 API call; a timeout or a lost daemon drops the connection so the next call reconnects.
   * PM2's own refusals become 502 `pm2_failed` with PM2's words, not an opaque 500.
   */
  private async call<T = unknown>(
    what: string,
    invoke: (cb: (error: Error | null, result: T) => void) => void,
    timeoutMs = CALL_TIMEOUT_MS,
  ): Promise<T> {
    try {
      return await this.bounded(
        new Promise<T>((resolve, reject) => invoke((error, result) => (error ? reject(toError(error)) : resolve(result)))),
        timeoutMs,
        `PM2 ${what}`,
      );
    } catch (error) {
      if (!(error instanceof WaveError)) throw new WaveError(502, 'pm2_failed', `PM2 ${what} failed: ${(error as Error).message}`);
      this.dropConnection();
      throw error;
    }
  }

  private dropConnection(): void {
    this.connection = null;
    for (const socket of [this.internals.Client.client_sock, this.internals.Client.sub_sock]) {
      try {
        socket?.close();
        socket?.destroy?.();
      } catch {
        // already closed
      }
    }
    this.internals.Client.client_sock = undefined;
    this.internals.Client.sub_sock = undefined;
  }

  private bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WaveError(503, 'pm2_unavailable', `PM2 did not answer in ${ms / 1000} s (${what}; PM2_HOME ${this.home})`)),
        ms,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** PM2 reports errors as Error, string or plain object; callers get an Error whose message says what PM2 said. */
function toError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (typeof error === 'string') return new Error(error);
  const message = (error as { message?: unknown; msg?: unknown })?.message ?? (error as { msg?: unknown })?.msg;
  return new Error(typeof message === 'string' ? message : JSON.stringify(error));
}

function toProcessInfo(description: ProcessDescription): Pm2ProcessInfo {
  const env = description.pm2_env ?? {};
  const status = env.status ?? 'unknown';
  return {
    name: description.name ?? 'unknown',
    pmId: description.pm_id ?? -1,
    status,
    pid: status === 'online' && description.pid ? description.pid : null,
    startedAt: status === 'online' && env.pm_uptime ? env.pm_uptime : null,
    restarts: env.restart_time ?? 0,
    unstableRestarts: env.unstable_restarts ?? 0,
    memoryBytes: description.monit?.memory ?? 0,
    cpuPercent: description.monit?.cpu ?? 0,
  };
}
