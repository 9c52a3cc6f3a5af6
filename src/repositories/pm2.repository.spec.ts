import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// PM2's API as a hung daemon serves it: the connection opens, then no call is ever answered.
const home = await mkdtemp(join(tmpdir(), 'wave-pm2-hung-'));
vi.mock('pm2', () => ({
  default: {
    pm2_home: home,
    connect: (cb: (error: Error | null) => void) => cb(null),
    launchBus: (cb: (error: Error | null, bus: { on(): void }) => void) => cb(null, { on: () => undefined }),
    disconnect: (cb: () => void) => cb(),
    describe: () => undefined,
    list: () => undefined,
    sendDataToProcessId: () => undefined,
    stop: () => undefined,
    Client: { pingDaemon: () => undefined },
  },
}));
const { Pm2Repository } = await import('./pm2.repository.js');
const { WaveError } = await import('../common/wave-error.js');

describe('Pm2Repository with the PM2 daemon hung', () => {
  beforeAll(async () => {
    await writeFile(join(home, 'rpc.sock'), ''); // a daemon seems to be there
  });

  afterAll(async () => {
    vi.useRealTimers();
    await rm(home, { recursive: true, force: true });
  });

  it('reads and messages fail with 503 pm2_unavailable after 5 s, app operations after 20 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pm2 = new Pm2Repository();
    await pm2.connect();
    /** What each call ended with: pm2_unavailable, or anything else. */
    const settled = new Map<string, string>();
    const watch = (name: string, call: Promise<unknown>) =>
      call.then(
        () => settled.set(name, 'answered'),
        (error: unknown) => settled.set(name, error instanceof WaveError ? `${error.getStatus()} ${error.code}` : String(error)),
      );
    const calls = [watch('describe', pm2.describe('telegram-stream')), watch('sendData', pm2.sendData(0, 'command', {}))];
    await vi.advanceTimersByTimeAsync(4_900);
    expect(settled.size).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(calls);
    expect(Object.fromEntries(settled)).toEqual({ describe: '503 pm2_unavailable', sendData: '503 pm2_unavailable' });

    // The probe health and monitoring share is down within 3 s, with a daemon there that does not answer.
    await pm2.connect();
    const probe = pm2.probe();
    let probed: unknown;
    void probe.then((p) => (probed = p));
    await vi.advanceTimersByTimeAsync(2_900);
    expect(probed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(await probe).toEqual({ daemon: 'not answering', message: 'PM2 did not answer within 3 s' });

    await pm2.connect();
    const stop = watch('stop', pm2.stop('telegram-stream'));
    await vi.advanceTimersByTimeAsync(19_900);
    expect(settled.has('stop')).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await stop;
    expect(settled.get('stop')).toBe('503 pm2_unavailable');
    await pm2.close();
  });
});
