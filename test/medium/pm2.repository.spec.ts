import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPm2Home } from '../env/pm2-home.js';
import type { Pm2ProcessEvent, Pm2ProcessMessage } from '../../src/repositories/pm2.repository.js';

// PM2 reads PM2_HOME when it is first imported, so the home exists before the repository is loaded.
const home = await createPm2Home();
process.env.PM2_HOME = home.path;
const { Pm2Repository } = await import('../../src/repositories/pm2.repository.js');

const APP = 'wave-pm2-spec-echo';
const SCRIPT = resolve(import.meta.dirname, '../fixtures/pm2-echo-app.js');

function waitFor<T>(what: string, subscribe: (done: (value: T) => void) => () => void, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolvePromise(value);
    });
  });
}

describe('Pm2Repository against a real PM2 daemon (private PM2_HOME)', () => {
  const pm2 = new Pm2Repository();

  afterAll(async () => {
    await pm2.close();
    await home.dispose();
  });

  it('uses PM2_HOME and reads nothing (launches no daemon) while none runs', async () => {
    expect(pm2.home).toBe(home.path);
    expect(await pm2.isDaemonRunning()).toBe(false);
    expect(await pm2.describe(APP)).toBeNull();
    expect(await pm2.list()).toEqual([]);
    expect(existsSync(resolve(home.path, 'pm2.pid'))).toBe(false);
  });

  it('starts an app, relays its bus messages and lifecycle events, and delivers data to it', async () => {
    const hello = waitFor<Pm2ProcessMessage>('hello on the bus', (done) =>
      pm2.onMessage((m) => m.processName === APP && (m.data as { kind?: string }).kind === 'hello' && done(m)),
    );
    const online = waitFor<Pm2ProcessEvent>('online event', (done) =>
      pm2.onProcessEvent((e) => e.processName === APP && e.event === 'online' && done(e)),
    );
    const started = await pm2.start({ name: APP, script: SCRIPT, autorestart: false });
    expect(started).toMatchObject({ name: APP, status: 'online', restarts: 0 });
    expect(started.pid).toBeGreaterThan(0);
    expect(await pm2.isDaemonRunning()).toBe(true);

    const message = await hello;
    expect(message.data).toEqual({ kind: 'hello', pid: started.pid });
    expect((await online).pmId).toBe(started.pmId);

    const echo = waitFor<Pm2ProcessMessage>('echo on the bus', (done) =>
      pm2.onMessage((m) => m.processName === APP && (m.data as { kind?: string }).kind === 'echo' && done(m)),
    );
    await pm2.sendData(started.pmId, 'wave:test', { ping: 1 });
    expect((await echo).data).toEqual({ kind: 'echo', topic: 'wave:test', data: { ping: 1 } });

    const described = await pm2.describe(APP);
    expect(described).toMatchObject({ status: 'online', pid: started.pid });
    expect(described!.startedAt).toBeLessThanOrEqual(Date.now());
    expect((await pm2.list()).map((p) => p.name)).toContain(APP);
  });

  it('stops, restarts and deletes the app', async () => {
    await pm2.stop(APP);
    expect(await pm2.describe(APP)).toMatchObject({ status: 'stopped', pid: null, startedAt: null });

    // From stopped, PM2 starts it again without counting a restart; from online, it counts one.
    await pm2.restart(APP);
    expect(await pm2.describe(APP)).toMatchObject({ status: 'online', restarts: 0 });
    await pm2.restart(APP);
    expect(await pm2.describe(APP)).toMatchObject({ status: 'online', restarts: 1 });

    await pm2.delete(APP);
    expect(await pm2.describe(APP)).toBeNull();
    await expect(pm2.stop(APP)).rejects.toMatchObject({ status: 502, code: 'pm2_failed', message: expect.stringMatching(/not found/i) });
  });

  it('notices at once when the PM2 daemon dies (no stale "running", no call waiting for its timeout), and starts afresh', async () => {
    await pm2.start({ name: APP, script: SCRIPT, autorestart: false });
    const daemonPid = Number((await readFile(resolve(home.path, 'pm2.pid'), 'utf8')).trim());
    process.kill(daemonPid, 'SIGKILL');
    await vi.waitFor(async () => expect(await pm2.isDaemonRunning()).toBe(false), { timeout: 3000, interval: 100 });
    const asked = Date.now();
    expect(await pm2.describe(APP)).toBeNull();
    expect(Date.now() - asked).toBeLessThan(3000);

    // The next start launches a new PM2 daemon and works as before.
    expect(await pm2.start({ name: APP, script: SCRIPT, autorestart: false })).toMatchObject({ status: 'online', restarts: 0 });
    await pm2.delete(APP);
  });

  it('closes within a bounded time and refuses new connections after', async () => {
    const started = Date.now();
    await pm2.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(pm2.connect()).rejects.toMatchObject({ code: 'pm2_unavailable' });
  });
});
