import type { Pm2AppDefinition, Pm2ProcessEvent, Pm2ProcessInfo, Pm2ProcessMessage } from '../../src/repositories/pm2.repository.js';
import { DAEMON_PROCESS_NAME, type DaemonMessage } from '../../src/telegram/daemon/daemon-messages.js';

/** PM2 as the service sees it: an in-memory process table and a bus the spec drives. */
export class FakePm2 {
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
  async connectIfRunning() {
    return this.apps.size > 0;
  }
  async describe(name: string) {
    const app = this.apps.get(name);
    return app ? { ...app } : null;
  }
  async start(app: Pm2AppDefinition) {
    this.calls.push(`start ${app.name}`);
    await new Promise((r) => setTimeout(r, 20));
    const info: Pm2ProcessInfo = { name: app.name, pmId: 0, status: 'online', pid: 4242, startedAt: Date.now(), restarts: 0, unstableRestarts: 0, memoryBytes: 1, cpuPercent: 0 };
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
