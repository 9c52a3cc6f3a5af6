import type {
  Pm2AppDefinition,
  Pm2Probe,
  Pm2ProcessEvent,
  Pm2ProcessInfo,
  Pm2ProcessMessage,
  Pm2Repository,
} from '../../src/repositories/pm2.repository.js';
import { DAEMON_PROCESS_NAME, type DaemonMessage } from '../../src/contracts/daemon-messages.js';
import type { RepositoryApi } from './repository-api.js';

/** PM2 as the service sees it: an in-memory process table and a bus the spec drives. */
export class FakePm2Repository implements RepositoryApi<Pm2Repository> {
  readonly home = '/tmp/fake-pm2-home';
  /** A PM2 daemon runs (one does once an app was started), and whether it answers. */
  daemon: 'not running' | 'running' | 'not answering' = 'not running';
  connected = false;
  readonly calls: string[] = [];
  readonly sent: Array<{ pmId: number; topic: string; data: object }> = [];
  apps = new Map<string, Pm2ProcessInfo>();
  private messageListeners: Array<(m: Pm2ProcessMessage) => void> = [];
  private eventListeners: Array<(e: Pm2ProcessEvent) => void> = [];

  onMessage(listener: (m: Pm2ProcessMessage) => void) {
    this.messageListeners.push(listener);
    return () => (this.messageListeners = this.messageListeners.filter((l) => l !== listener));
  }
  onProcessEvent(listener: (e: Pm2ProcessEvent) => void) {
    this.eventListeners.push(listener);
    return () => (this.eventListeners = this.eventListeners.filter((l) => l !== listener));
  }
  async isDaemonRunning() {
    return this.daemon !== 'not running' || this.apps.size > 0;
  }
  /** As the repository's, from `daemon`: a daemon not answering is reported as its 3 s bound reports it. */
  async probe(): Promise<Pm2Probe> {
    if (!(await this.isDaemonRunning())) return { daemon: 'not running' };
    if (this.daemon === 'not answering') return { daemon: 'not answering', message: 'PM2 did not answer within 3 s' };
    return { daemon: 'running', processes: await this.list() };
  }
  async connect() {
    this.connected = true;
    if (this.daemon === 'not running') this.daemon = 'running';
  }
  async connectIfRunning() {
    return this.apps.size > 0;
  }
  async describe(name: string) {
    const app = this.apps.get(name);
    return app ? { ...app } : null;
  }
  async list() {
    if (this.daemon === 'not answering') return new Promise<Pm2ProcessInfo[]>(() => undefined);
    return [...this.apps.values()].map((app) => ({ ...app }));
  }
  async close() {
    this.connected = false;
  }
  async onApplicationShutdown() {
    await this.close();
  }
  async start(app: Pm2AppDefinition) {
    this.calls.push(`start ${app.name}`);
    if (this.daemon === 'not running') this.daemon = 'running';
    await new Promise((r) => setTimeout(r, 20));
    const info: Pm2ProcessInfo = {
      name: app.name,
      pmId: 0,
      status: 'online',
      pid: 4242,
      startedAt: Date.now(),
      restarts: 0,
      unstableRestarts: 0,
      memoryBytes: 1,
      cpuPercent: 0,
    };
    this.apps.set(app.name, info);
    return { ...info };
  }
  async stop(name: string) {
    this.calls.push(`stop ${name}`);
    this.apps.set(name, { ...this.apps.get(name)!, status: 'stopped', pid: null, startedAt: null });
  }
  async restart(name: string) {
    this.calls.push(`restart ${name}`);
    const app = this.apps.get(name)!;
    this.apps.set(name, { ...app, status: 'online', restarts: app.restarts + 1 });
  }
  async delete(name: string) {
    this.calls.push(`delete ${name}`);
    this.apps.delete(name);
  }
  /** What sendData throws (PM2 not answering), if set. */
  sendFails: Error | null = null;
  async sendData(pmId: number, topic: string, data: object) {
    if (this.sendFails) throw this.sendFails;
    this.sent.push({ pmId, topic, data });
  }
  report(data: DaemonMessage, processName = DAEMON_PROCESS_NAME) {
    for (const l of this.messageListeners) l({ processName, pmId: 0, data });
  }
  /** The app's process exits by itself with `exitCode` (PM2 then shows it stopped, as with `autorestart: false`). */
  exit(name: string, exitCode: number | null) {
    this.apps.set(name, { ...this.apps.get(name)!, status: 'stopped', pid: null, startedAt: null });
    for (const l of this.eventListeners) l({ processName: name, pmId: 0, event: 'exit', status: 'stopped', exitCode });
  }
}

/** The name the telegram specs know it by. */
export { FakePm2Repository as FakePm2 };
