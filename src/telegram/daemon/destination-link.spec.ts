import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DestinationConnection, DestinationState } from '../../contracts/destinations.js';
import { DestinationLink, errorCode, type IngestTarget, type PublishSession } from './destination-link.js';
import { type FlvTag, FlvTagType } from './rtmp/flv.js';
import type { RtmpSessionEvents } from './rtmp/rtmp-session.js';

const KEY = '1234567890:AAbbCCddEEffGGhhIIjj';

/** Stands in for the RTMP client: the test says when the ingest accepts, drops or stops reading. */
class FakeSession extends EventEmitter<RtmpSessionEvents> {
  isReady = false;
  bytesSent = 0;
  bufferedBytes = 0;
  bytesAcknowledged: number | null = null;
  acknowledgementWindow: number | null = null;
  sent: Array<{ type: number; timestamp: number }> = [];
  closedGracefully = false;
  destroyed = false;
  constructor(readonly url: string) {
    super();
  }
  start(): void {}
  send(type: number, timestamp: number, payload: Buffer): boolean {
    this.sent.push({ type, timestamp });
    this.bytesSent += payload.length;
    return true;
  }
  cork(): void {}
  uncork(): void {}
  close(): void {
    this.closedGracefully = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  accept(): void {
    this.isReady = true;
    this.emit('ready');
  }
  drop(error: Error & { code?: string }): void {
    this.emit('closed', { error });
  }
}

const audio = (timestamp: number): FlvTag => ({ type: FlvTagType.Audio, timestamp, data: Buffer.from([0xaf, 1, 0, 0]) });
const keyframe = (timestamp: number): FlvTag => ({ type: FlvTagType.Video, timestamp, data: Buffer.from([0x17, 1, 0, 0, 0]) });
const aacConfig: FlvTag = { type: FlvTagType.Audio, timestamp: 0, data: Buffer.from([0xaf, 0, 0x12, 0x10]) };

function setup(reachable: () => boolean = () => true) {
  const sessions: FakeSession[] = [];
  const probes: IngestTarget[] = [];
  const states: Array<{ connection: DestinationConnection; previous: DestinationState | null }> = [];
  const link = new DestinationLink({
    settings: {
      id: 'yt',
      label: 'YouTube (rtmp://a.example/live2)',
      publishUrl: `rtmp://a.example/live2/${KEY}`,
      target: { host: 'a.example', port: 1935 },
    },
    policy: null,
    streamConfig: () => [aacConfig],
    stallTimeoutMs: 5000,
    now: () => Date.now(),
    createSession: (url) => {
      const session = new FakeSession(url);
      sessions.push(session);
      return session as unknown as PublishSession;
    },
    probe: async (target) => {
      probes.push(target);
      return reachable();
    },
  });
  link.on('state', (s) => states.push(s));
  return { link, sessions, probes, states, last: () => sessions.at(-1)! };
}

describe('DestinationLink', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('connects, goes live when the ingest accepts, sends the codec headers first and frames from the next keyframe', () => {
    const { link, sessions, states } = setup();
    link.start();
    expect(sessions[0].url).toBe(`rtmp://a.example/live2/${KEY}`);
    link.push([audio(10)]); // not live yet: dropped
    sessions[0].accept();
    link.push([audio(20), keyframe(40), audio(43)]);
    expect(sessions[0].sent.map((m) => m.timestamp)).toEqual([0, 40, 43]);
    expect(states.map((s) => [s.previous, s.connection.state])).toEqual([
      [null, 'connecting'],
      ['connecting', 'live'],
    ]);
    expect(JSON.stringify(states)).not.toContain(KEY);
  });

  it('retries with growing delays (1 s, 2 s, 4 s …) and a clear reason, and shows failed after five in a row', async () => {
    const { link, last, states } = setup();
    link.start();
    const refused = Object.assign(new Error('the ingest refused the stream: NetStream.Publish.BadName'), { code: 'ingest_refused' });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      last().drop(refused);
      const state = states.at(-1)!.connection;
      delays.push(state.retryInMs!);
      await vi.advanceTimersByTimeAsync(state.retryInMs!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000]);
    const retrying = states.filter((s) => s.connection.state === 'retrying' || s.connection.state === 'failed');
    expect(retrying.map((s) => s.connection.state)).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'failed']);
    expect(retrying[0].connection.lastError).toMatchObject({ code: 'publish_refused', message: expect.stringContaining('BadName') });
    // Live again: the count starts over.
    last().accept();
    expect(link.connection()).toMatchObject({ state: 'live', attempt: 0, reconnects: 5 });
  });

  it('retries at once when an unreachable ingest answers again, before its backoff ends', async () => {
    let reachable = true;
    const { link, sessions, last, probes } = setup(() => reachable);
    link.start();
    for (let i = 0; i < 4; i++) {
      last().drop(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      await vi.advanceTimersByTimeAsync([1000, 2000, 4000, 0][i]);
    }
    const before = sessions.length;
    reachable = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(sessions.length).toBe(before);
    reachable = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(sessions.length).toBe(before + 1);
    expect(probes[0]).toEqual({ host: 'a.example', port: 1935 });
  });

  it('drops an ingest that takes nothing for the stall timeout and reconnects, never holding the frames back', async () => {
    const { link, sessions, states } = setup();
    link.start();
    sessions[0].accept();
    link.push([keyframe(0)]);
    sessions[0].bufferedBytes = 100_000; // the ingest stopped reading
    for (let t = 0; t <= 6000; t += 1000) {
      link.push([audio(t)]);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(sessions[0].destroyed).toBe(true);
    expect(states.find((s) => s.connection.state === 'retrying')?.connection.lastError?.code).toBe('stalled');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sessions).toHaveLength(2);
  });

  it('drops an ingest that keeps its socket open but acknowledges nothing more (the kernel takes the bytes)', async () => {
    const { link, sessions, states } = setup();
    link.start();
    sessions[0].accept();
    link.push([keyframe(0)]);
    sessions[0].bytesAcknowledged = 0;
    sessions[0].acknowledgementWindow = 40_000;
    const big = (t: number): FlvTag => ({ type: FlvTagType.Audio, timestamp: t, data: Buffer.alloc(40_000, 1) });
    // Acknowledged as it goes: fine for as long as it lasts.
    for (let t = 0; t < 20_000; t += 1000) {
      link.push([big(t)]);
      sessions[0].bytesAcknowledged = sessions[0].bytesSent - 1000;
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(sessions[0].destroyed).toBe(false);
    // Then nothing more is acknowledged while the bytes go out.
    for (let t = 20_000; t < 30_000; t += 1000) {
      link.push([big(t)]);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(sessions[0].destroyed).toBe(true);
    expect(states.at(-1)?.connection.lastError).toMatchObject({ code: 'stalled' });
  });

  it('closes as ffmpeg ends a publish, shows disabled and does not reconnect', async () => {
    const { link, sessions, states } = setup();
    link.start();
    sessions[0].accept();
    link.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].closedGracefully).toBe(true);
    expect(states.at(-1)?.connection.state).toBe('disabled');
  });
});

describe('errorCode', () => {
  it.each([
    [{ code: 'ingest_refused', message: '' }, false, 'publish_refused'],
    [{ code: 'outbound_refused', message: '' }, false, 'outbound_refused'],
    [{ code: 'ECONNREFUSED', message: '' }, true, 'unreachable'],
    [{ code: 'rtmp_failed', message: 'no publish start within 10 s' }, false, 'timeout'],
    [{ code: 'rtmp_failed', message: 'the ingest closed the connection' }, true, 'connection_lost'],
  ])('%o (live before: %s) → %s', (error, wasLive, code) => {
    expect(errorCode(Object.assign(new Error(error.message), { code: error.code }), wasLive)).toBe(code);
  });
});
