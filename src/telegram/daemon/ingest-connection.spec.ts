import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeProcess, FakeProcessRepository } from '../../../test/fakes/process.repository.fake.js';
import { ConnectionStateEvent, IngestConnection, IngestTarget } from './ingest-connection.js';
import type { PcmSink } from './feeder.js';
import type { FlvPublisherEvents } from './rtmp/flv-relay.js';

const KEY = '1234567890:AAbbCCddEEffGGhhIIjj';
const PUBLISH_URL = `rtmps://ingest.example/s/${KEY}`;

/** Stands in for the daemon's RTMP client: the test says when the ingest accepts or drops the publish. */
class FakePublisher extends EventEmitter<FlvPublisherEvents> {
  bytesSent = 0;
  started = false;
  closedGracefully = false;
  destroyed = false;
  constructor(
    readonly url: string,
    readonly flv: Readable,
  ) {
    super();
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    this.closedGracefully = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

function setup(reachable: () => boolean = () => true) {
  const processes = new FakeProcessRepository();
  const probes: IngestTarget[] = [];
  const publishers: FakePublisher[] = [];
  const connection = new IngestConnection({
    processes,
    ffmpegPath: 'ffmpeg',
    encoderArgs: () => ['-i', 'pipe:0', '-f', 'flv', 'pipe:3'],
    publishUrl: PUBLISH_URL,
    policy: null,
    createPublisher: (url, _policy, flv) => {
      const publisher = new FakePublisher(url, flv);
      publishers.push(publisher);
      return publisher;
    },
    target: { host: 'ingest.example', port: 443 },
    stallTimeoutMs: 5000,
    maxQueuedBytes: 1000,
    now: () => Date.now(),
    probe: async (target) => {
      probes.push(target);
      return reachable();
    },
  });
  const states: ConnectionStateEvent[] = [];
  const logs: string[] = [];
  let sink: PcmSink | null = null;
  connection.on('state', (s) => states.push(s));
  connection.on('log', (l) => logs.push(l.message));
  connection.on('sink', (s) => (sink = s));
  return { processes, connection, states, logs, probes, publishers, sink: () => sink };
}

/** The ingest accepts the publish, and the encoder reports its first output. */
const connect = (child: FakeProcess, publisher: FakePublisher) => {
  child.stderr.write(`[info] Output #0, flv, to 'pipe:3':\n`);
  publisher.emit('published');
  child.stdout.write('total_size=447\nbitrate=N/A\nprogress=continue\n');
};

describe('IngestConnection', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date', 'setImmediate'] }));
  afterEach(() => vi.useRealTimers());

  it('reports connecting → connected once the ingest accepts the publish; the key is in no encoder argument', async () => {
    const { connection, processes, states, logs, publishers } = setup();
    connection.start();
    const [child] = processes.spawned;
    child.stderr.write(`[info] Output #0, flv, to 'pipe:3':\n`);
    child.stdout.write('total_size=447\nbitrate=N/A\nprogress=continue\n');
    await vi.advanceTimersByTimeAsync(10);
    // Encoding into the pipe is not being on the air.
    expect(states.map((s) => s.state)).toEqual(['connecting']);
    publishers[0].emit('published');
    await vi.advanceTimersByTimeAsync(10);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(publishers[0]).toMatchObject({ url: PUBLISH_URL, started: true, flv: child.output });
    expect(child.args.join(' ')).not.toContain(KEY);
    expect(logs.join('\n')).toContain('Output #0');
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('kills the encoder when the publish fails, and reconnects with the reason and its code', async () => {
    const { connection, processes, states, publishers } = setup();
    connection.start();
    publishers[0].emit('closed', {
      error: Object.assign(new Error('refused to connect to 127.0.0.1, a loopback address'), { code: 'outbound_refused' }),
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(processes.spawned[0].killedWith).toEqual(['SIGKILL']);
    expect(states.at(-1)).toMatchObject({
      state: 'reconnecting',
      attempt: 1,
      reasonCode: 'outbound_refused',
      reason: 'refused to connect to 127.0.0.1, a loopback address',
    });
    expect(publishers[0].destroyed).toBe(true);
  });

  it('reconnects with growing delays (1 s, 2 s, 4 s) while the ingest keeps refusing', async () => {
    const { connection, processes, states } = setup();
    connection.start();
    for (let i = 0; i < 3; i++) {
      processes.spawned.at(-1)!.exit(1);
      await vi.advanceTimersByTimeAsync(0);
    }
    await vi.advanceTimersByTimeAsync(1000);
    processes.spawned.at(-1)!.exit(1);
    await vi.advanceTimersByTimeAsync(0);
    const delays = states.filter((s) => s.state === 'reconnecting').map((s) => [s.attempt, s.delayMs]);
    expect(delays.slice(0, 2)).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    expect(processes.spawned.length).toBeGreaterThanOrEqual(2);
  });

  it('retries at once when an unreachable ingest answers again, before the backoff ends', async () => {
    let reachable = true;
    const { connection, processes, states, probes } = setup(() => reachable);
    connection.start();
    // Four quick failures while the port still answers: the backoff grows to 8 s.
    for (const delay of [0, 1000, 2000, 4000]) {
      await vi.advanceTimersByTimeAsync(delay);
      processes.spawned.at(-1)!.exit(1);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 4, delayMs: 8000 });
    const spawnedBefore = processes.spawned.length;
    reachable = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(processes.spawned.length).toBe(spawnedBefore);
    reachable = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(processes.spawned.length).toBe(spawnedBefore + 1);
    expect(probes[0]).toEqual({ host: 'ingest.example', port: 443 });
  });

  it('kills a stalled encoder (output not growing) and reconnects', async () => {
    const { connection, processes, states, logs, publishers } = setup();
    connection.start();
    connect(processes.spawned[0], publishers[0]);
    await vi.advanceTimersByTimeAsync(7000);
    expect(processes.spawned[0].killedWith).toEqual(['SIGKILL']);
    expect(logs.some((l) => l.includes('no output to the ingest'))).toBe(true);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1 });
  });

  it('feeds the encoder stdin but drops PCM while the encoder is not reading', async () => {
    const { connection, processes, sink } = setup();
    connection.start();
    const child = processes.spawned[0];
    child.stdin.pause();
    child.stdin.removeAllListeners('data');
    for (let i = 0; i < 100; i++) sink()!.write(Buffer.alloc(100));
    expect(child.stdin.writableLength).toBeLessThanOrEqual(1000 + 100 + 16384);
  });

  it('stops without reconnecting, ending the publish as ffmpeg did', async () => {
    const { connection, processes, states, publishers } = setup();
    connection.start();
    connect(processes.spawned[0], publishers[0]);
    const stopped = connection.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    await vi.advanceTimersByTimeAsync(5000);
    expect(processes.spawned).toHaveLength(1);
    expect(states.at(-1)?.state).toBe('stopped');
    expect(publishers[0].closedGracefully).toBe(true);
  });
});
