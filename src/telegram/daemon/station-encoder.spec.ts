import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeProcessRepository } from '../../../test/fakes/process.repository.fake.js';
import { type FlvTag, flvHeader, flvTag, FlvTagType } from './rtmp/flv.js';
import { StationEncoder } from './station-encoder.js';

const aacConfig: FlvTag = { type: FlvTagType.Audio, timestamp: 0, data: Buffer.from([0xaf, 0, 0x12, 0x10]) };
const audio = (timestamp: number): FlvTag => ({ type: FlvTagType.Audio, timestamp, data: Buffer.from([0xaf, 1, 7]) });

function setup() {
  const processes = new FakeProcessRepository();
  const encoder = new StationEncoder({
    processes,
    ffmpegPath: 'ffmpeg',
    encoderArgs: () => ['-f', 'flv', 'pipe:3'],
    stallTimeoutMs: 5000,
    maxQueuedBytes: 1000,
    now: () => Date.now(),
  });
  const tags: FlvTag[] = [];
  const restarts: Array<{ reason: string; delayMs: number }> = [];
  encoder.on('tags', (t) => tags.push(...t));
  encoder.on('restarting', (r) => restarts.push(r));
  return { processes, encoder, tags, restarts };
}

const writeFlv = (output: NodeJS.WritableStream, tags: FlvTag[], header = true) =>
  output.write(Buffer.concat([...(header ? [flvHeader()] : []), ...tags.map(flvTag)]));

describe('StationEncoder', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('hands on the tags of its FLV output and keeps the codec headers for destinations that join later', async () => {
    const { processes, encoder, tags } = setup();
    encoder.start();
    writeFlv(processes.spawned[0].output, [aacConfig, audio(0), audio(23)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(tags.map((t) => t.timestamp)).toEqual([0, 0, 23]);
    expect(encoder.streamConfig).toEqual([aacConfig]);
  });

  it('restarts an encoder that exits, with backoff, and goes on with the timeline where it was', async () => {
    const { processes, encoder, tags, restarts } = setup();
    encoder.start();
    writeFlv(processes.spawned[0].output, [aacConfig, audio(0), audio(1000)]);
    await vi.advanceTimersByTimeAsync(0);
    processes.spawned[0].exit(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(restarts).toEqual([{ reason: expect.stringContaining('encoder exited (code 1)'), delayMs: 1000 }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(processes.spawned).toHaveLength(2);
    writeFlv(processes.spawned[1].output, [aacConfig, audio(0), audio(23)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(tags.slice(3).map((t) => t.timestamp)).toEqual([1040, 1040, 1063]);
  });

  it('kills an encoder whose output stopped growing, and starts another', async () => {
    const { processes, encoder, restarts } = setup();
    encoder.start();
    processes.spawned[0].stdout.write('total_size=447\nbitrate=N/A\nprogress=continue\n');
    await vi.advanceTimersByTimeAsync(7000);
    expect(processes.spawned[0].killedWith).toEqual(['SIGKILL']);
    expect(restarts[0].reason).toContain('no output for 5 s');
  });

  it('stops without restarting', async () => {
    const { processes, encoder } = setup();
    encoder.start();
    const stopped = encoder.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    await vi.advanceTimersByTimeAsync(5000);
    expect(processes.spawned).toHaveLength(1);
  });
});
