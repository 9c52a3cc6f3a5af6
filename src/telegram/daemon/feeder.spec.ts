import { describe, expect, it } from 'vitest';
import type { AudioSource, PcmChunk } from './audio-source.js';
import type { DaemonSourceKind, DaemonTrack } from '../../contracts/daemon-messages.js';
import { Feeder } from './feeder.js';
import { mixCrossfade } from './sound.js';
import { PcmClock } from './pcm.js';

const FORMAT = { sampleRate: 1000, channels: 2 }; // 1 frame per ms keeps the arithmetic readable
const FRAME = 4;
const CHANNELS = FORMAT.channels;

/** A source with scripted PCM: each segment is a fill byte, a length in frames and maybe a track. */
class ScriptedSource implements AudioSource {
  label: string;
  active = false;
  closed = false;
  finished = false;
  private queue: Array<{ data: Buffer; track?: DaemonTrack }> = [];

  constructor(readonly kind: DaemonSourceKind) {
    this.label = kind;
  }

  add(fill: number, frames: number, track?: DaemonTrack): this {
    this.queue.push({ data: Buffer.alloc(frames * FRAME, fill), track });
    return this;
  }

  /** `frames` frames whose every sample is `sample` (s16). */
  addLevel(sample: number, frames: number, track?: DaemonTrack): this {
    return this.addData(samples(Array<number>(frames * 2).fill(sample)), track);
  }

  addData(data: Buffer, track?: DaemonTrack): this {
    this.queue.push({ data, track });
    return this;
  }

  activate(): void {
    this.active = true;
  }
  deactivate(): void {
    this.active = false;
    this.queue = [];
  }
  close(): void {
    this.closed = true;
    this.queue = [];
  }
  /** Drops what is left of the segment playing: the next segment that starts a track plays next. */
  skip(): boolean {
    const head = this.queue[0];
    if (!head) return false;
    this.queue.shift();
    while (this.queue[0] && !this.queue[0].track) this.queue.shift();
    return true;
  }
  available(): number {
    return this.queue.reduce((n, s) => n + s.data.length, 0);
  }
  read(maxBytes: number): PcmChunk | null {
    const head = this.queue[0];
    if (!head) return null;
    if (head.data.length <= maxBytes) {
      this.queue.shift();
      return head;
    }
    const chunk = { data: head.data.subarray(0, maxBytes), track: head.track };
    this.queue[0] = { data: head.data.subarray(maxBytes) };
    return chunk;
  }
}

const track = (id: string): DaemonTrack => ({ id, title: id, artist: '', duration: 0 });

function samples(values: number[]): Buffer {
  const data = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => data.writeInt16LE(v, i * 2));
  return data;
}

/** The left channel of s16 stereo, one value per frame. */
function left(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += FRAME) out.push(data.readInt16LE(i));
  return out;
}

function setup(base = new ScriptedSource('playlist'), fadeMs = 0) {
  let now = 0;
  const written: Buffer[] = [];
  const events: Array<[string, unknown]> = [];
  const feeder = new Feeder({
    clock: new PcmClock(FORMAT, 0, 10),
    base,
    now: () => now,
    outputLatencyMs: 100,
    starveGraceMs: 50,
    fadeMs,
  });
  feeder.setSink({ write: (d) => written.push(Buffer.from(d)) });
  for (const name of ['track-started', 'track-ended', 'source-changed', 'source-failed'] as const) {
    feeder.on(name, (e: unknown) => events.push([name, e]));
  }
  const at = (t: number) => {
    now = t;
    feeder.tick(t);
  };
  const output = () => Buffer.concat(written);
  return { feeder, base, at, output, events };
}

describe('Feeder', () => {
  it('writes exactly what the clock owes, and silence when the source has nothing', () => {
    const { at, output, base } = setup();
    base.add(7, 15);
    at(0); // 10 ms lead → 10 frames
    at(20); // 20 more frames: 5 from the source, 15 of silence
    const bytes = [...output()];
    expect(bytes.length).toBe(30 * FRAME);
    expect(bytes.slice(0, 15 * FRAME).every((b) => b === 7)).toBe(true);
    expect(bytes.slice(15 * FRAME).every((b) => b === 0)).toBe(true);
  });

  it('reports each track when its first frame is heard (due time + output latency), gapless', () => {
    const { at, events, base } = setup();
    base.add(1, 25, track('a')).add(2, 20, track('b'));
    at(0);
    at(40);
    const started = events.filter(([name]) => name === 'track-started').map(([, e]) => e);
    expect(started).toEqual([
      { track: track('a'), heardAt: 100 },
      { track: track('b'), heardAt: 125 },
    ]);
    expect(events.find(([name]) => name === 'track-ended')?.[1]).toEqual({ track: track('a'), heardAt: 125, reason: 'finished' });
  });

  it('keeps the clock running while disconnected (no sink): the audio due is dropped, not queued', () => {
    const { feeder, at, base, output } = setup();
    base.add(1, 100);
    at(0);
    feeder.setSink(null);
    at(50);
    feeder.setSink({ write: () => undefined });
    expect(output().length).toBe(10 * FRAME);
    expect(base.available()).toBe(40 * FRAME);
  });

  it('switches to a new source on its first PCM, and the playlist plays until then', () => {
    const { feeder, at, base, output, events } = setup();
    base.add(1, 1000, track('a'));
    const live = new ScriptedSource('rtmp');
    at(0);
    feeder.switchTo(live);
    expect(live.active).toBe(true);
    at(20);
    expect(feeder.onAir).toBe(base);
    live.add(9, 100);
    at(30);
    expect(feeder.onAir).toBe(live);
    expect(base.active).toBe(false);
    const tail = [...output()].slice(-10 * FRAME);
    expect(tail.every((b) => b === 9)).toBe(true);
    expect(events.map(([name]) => name)).toEqual(['track-started', 'track-ended', 'source-changed']);
    expect(events[1][1]).toMatchObject({ reason: 'interrupted', heardAt: 130 });
    expect(events[2][1]).toMatchObject({ kind: 'rtmp', heardAt: 130 });
  });

  it('falls back to the playlist when the live source ends, and after a grace period without PCM', () => {
    const { feeder, at, base, events } = setup();
    const live = new ScriptedSource('rtmp').add(9, 30);
    feeder.switchTo(live);
    at(0);
    expect(feeder.onAir).toBe(live);
    live.finished = true;
    base.add(1, 100, track('next'));
    at(40);
    expect(feeder.onAir).toBe(base);
    expect(live.closed).toBe(true);
    expect(events.filter(([n]) => n === 'source-failed').map(([, e]) => (e as { reason: string }).reason)).toEqual(['ended']);

    const starving = new ScriptedSource('url').add(9, 5);
    feeder.switchTo(starving);
    at(50);
    expect(feeder.onAir).toBe(starving);
    at(90);
    expect(feeder.onAir).toBe(starving); // 40 ms without PCM: within the 50 ms grace
    at(120);
    expect(feeder.onAir).toBe(base);
    expect(events.filter(([n]) => n === 'source-failed').map(([, e]) => (e as { reason: string }).reason)).toEqual([
      'ended',
      'no audio for 50 ms',
    ]);
  });

  it('gives up on a pending source that produces nothing within its start timeout', () => {
    const { feeder, at, events } = setup();
    const radio = new ScriptedSource('url');
    at(0);
    feeder.switchTo(radio, { startTimeoutMs: 100 });
    at(50);
    expect(feeder.pendingSource).toBe(radio);
    at(150);
    expect(feeder.pendingSource).toBeNull();
    expect(radio.closed).toBe(true);
    expect(events.at(-1)).toEqual(['source-failed', { source: radio, reason: 'no audio within 100 ms' }]);
  });

  it('switching back to the playlist is immediate and replaces a pending source', () => {
    const { feeder, at, base } = setup();
    const live = new ScriptedSource('rtmp').add(9, 100);
    feeder.switchTo(live);
    at(0);
    const other = new ScriptedSource('url');
    feeder.switchTo(other);
    feeder.switchTo(base);
    expect(other.closed).toBe(true);
    expect(feeder.onAir).toBe(base);
    expect(live.closed).toBe(true);
  });

  it('closes the live source on the air and the one pending when stopped (their decoders end)', () => {
    const { feeder, at, base } = setup();
    const live = new ScriptedSource('rtmp').add(9, 100);
    feeder.switchTo(live);
    at(0);
    expect(feeder.onAir).toBe(live);
    const pending = new ScriptedSource('url');
    feeder.switchTo(pending);
    feeder.stop();
    expect([live.closed, pending.closed, base.closed]).toEqual([true, true, false]);
  });

  it('skip ends the track where the audio written so far ends, and the next track fills the very next tick', () => {
    const { feeder, at, base, output, events } = setup();
    base.add(1, 1000, track('a')).add(2, 500, track('b'));
    at(0);
    at(20); // 30 frames of a written
    expect(feeder.skip()).toBe(true);
    expect(events.at(-1)).toEqual(['track-ended', { track: track('a'), heardAt: 130, reason: 'skipped' }]);
    const before = output().length;
    at(40);
    const tick = [...output().subarray(before)];
    expect(tick.length).toBe(20 * FRAME);
    expect(tick.every((b) => b === 2)).toBe(true);
    expect(events.at(-1)).toEqual(['track-started', { track: track('b'), heardAt: 130 }]);
    expect(events.filter(([name]) => name === 'track-ended')).toHaveLength(1);
  });

  it('skip does nothing while another source is on the air', () => {
    const { feeder, at, base, events } = setup();
    base.add(1, 1000, track('a'));
    const live = new ScriptedSource('rtmp').add(9, 100);
    at(0);
    feeder.switchTo(live);
    at(10);
    expect(feeder.onAir).toBe(live);
    const count = events.length;
    expect(feeder.skip()).toBe(false);
    expect(events).toHaveLength(count);
  });
});

describe('mixCrossfade, linear (the fade at a source switch)', () => {
  it('ramps the incoming source up and the outgoing one down, linearly over the fade, per frame and channel', () => {
    const incoming = samples([1000, -1000, 1000, -1000, 1000, -1000, 1000, -1000]);
    const outgoing = samples([-2000, 2000, -2000, 2000, -2000, 2000, -2000, 2000]);
    const mixed = mixCrossfade(outgoing, incoming, CHANNELS, 2, 8, 'linear'); // frames 2…5 of 8
    expect([...new Int16Array(new Uint8Array(mixed).buffer)]).toEqual([-1250, 1250, -875, 875, -500, 500, -125, 125]);
  });

  it('clips instead of wrapping, and past the fade plays the incoming source alone', () => {
    const loud = samples([30000, -30000, 30000, -30000]);
    expect([...new Int16Array(new Uint8Array(mixCrossfade(loud, loud, CHANNELS, 1, 2, 'linear')).buffer)]).toEqual([
      30000, -30000, 30000, -30000,
    ]);
    const mixed = mixCrossfade(samples([32767, -32768, 9, 9]), samples([32767, -32768, 20000, 20000]), CHANNELS, 0, 2, 'linear');
    expect([...new Int16Array(new Uint8Array(mixed).buffer)]).toEqual([32767, -32768, 10005, 10005]);
    expect(left(mixCrossfade(samples([5, 5, 5, 5]), samples([7, 7, 7, 7]), CHANNELS, 10, 4, 'linear'))).toEqual([7, 7]);
  });
});

describe('Feeder fades at source switches', () => {
  it('fades the programme out under the DJ: both are mixed for fadeMs, then the playlist leaves (its track interrupted)', () => {
    const { feeder, at, base, output, events } = setup(undefined, 40);
    base.addLevel(1000, 1000, track('a'));
    const live = new ScriptedSource('rtmp');
    at(0); // 10 frames of the playlist
    feeder.switchTo(live);
    live.addLevel(3000, 200);
    const before = output().length;
    at(20); // 20 frames: the first half of the 40-frame fade
    expect(feeder.onAir).toBe(live);
    expect(base.available()).toBe(970 * FRAME); // still read (it fades out), not deactivated
    const half = left(output().subarray(before));
    expect(half[0]).toBe(1000);
    expect(half[10]).toBe(Math.round(3000 * (10 / 40) + 1000 * (30 / 40)));
    expect(half[19]).toBe(Math.round(3000 * (19 / 40) + 1000 * (21 / 40)));
    expect(events.map(([name]) => name)).toEqual(['track-started', 'source-changed']);
    expect(events[1][1]).toMatchObject({ kind: 'rtmp', heardAt: 110 }); // the DJ is heard from the fade's start
    at(40); // the fade's last 20 frames
    expect(base.available()).toBe(0); // deactivated: the track on the air stopped
    expect(events.at(-1)).toEqual(['track-ended', { track: track('a'), heardAt: 150, reason: 'interrupted' }]);
    at(60);
    expect(left(output()).slice(-20)).toEqual(Array<number>(20).fill(3000));
    expect(feeder.silenceMs).toBe(0);
  });

  it('fades the DJ out under the programme when Wave switches back: the playlist resumes at once, the relay closes after the fade', () => {
    const { feeder, at, base, output, events } = setup(undefined, 40);
    const live = new ScriptedSource('rtmp').addLevel(3000, 1000);
    feeder.switchTo(live);
    at(0);
    expect(feeder.onAir).toBe(live);
    at(100); // the fade from silence to the DJ is long over
    base.addLevel(1000, 500, track('next'));
    const before = output().length;
    feeder.switchTo(base);
    expect(feeder.onAir).toBe(base);
    at(120);
    const mixed = left(output().subarray(before));
    expect(mixed[0]).toBe(3000);
    expect(mixed[10]).toBe(Math.round(1000 * (10 / 40) + 3000 * (30 / 40)));
    expect(events.filter(([n]) => n === 'track-started')[0][1]).toEqual({ track: track('next'), heardAt: 210 });
    expect(live.closed).toBe(false);
    at(140);
    expect(live.closed).toBe(true);
    at(160);
    expect(left(output()).slice(-20)).toEqual(Array<number>(20).fill(1000));
  });

  it('a DJ who stopped has nothing to fade out: the programme comes in at full level from the next tick', () => {
    const { feeder, at, base, output } = setup(undefined, 400);
    const live = new ScriptedSource('rtmp').addLevel(3000, 110);
    feeder.switchTo(live);
    at(0);
    at(100); // the DJ's last audio written
    base.addLevel(1000, 500);
    feeder.switchTo(base);
    const before = output().length;
    at(120); // the relay gives nothing: this tick ramps from 0, and the fade ends
    expect(live.closed).toBe(true);
    at(140);
    const heard = left(output().subarray(before));
    expect(heard.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => Math.round(1000 * (i / 400))));
    expect(heard.slice(20)).toEqual(Array<number>(20).fill(1000));
  });

  it('a switch during a fade drops what was fading out, and a switch back picks up the programme where it was', () => {
    const { feeder, at, base, events } = setup(undefined, 40);
    base.addLevel(1000, 1000, track('a'));
    const live = new ScriptedSource('rtmp').addLevel(3000, 1000);
    at(0);
    feeder.switchTo(live);
    at(10); // the fade to the DJ starts
    feeder.switchTo(base); // Wave takes the DJ off again mid-fade
    expect(feeder.onAir).toBe(base);
    expect(base.active).toBe(true);
    at(60);
    expect(live.closed).toBe(true);
    expect(events.filter(([n]) => n === 'track-ended')).toEqual([]); // track a was never off the air
    const other = new ScriptedSource('url').addLevel(5000, 1000);
    feeder.switchTo(other);
    at(70);
    const third = new ScriptedSource('url').addLevel(7000, 1000);
    feeder.switchTo(third);
    at(80);
    expect(feeder.onAir).toBe(third);
    // The playlist, still fading out under `other`, leaves at once; `other` fades out under `third`.
    expect(events.filter(([n]) => n === 'track-ended')).toEqual([
      ['track-ended', { track: track('a'), heardAt: 180, reason: 'interrupted' }],
    ]);
    expect(other.closed).toBe(false);
    at(120);
    expect(other.closed).toBe(true);
  });

  it('cuts when fadeMs is 0, and a new fade length applies from the next switch', () => {
    const { feeder, at, base, output } = setup();
    base.addLevel(1000, 1000);
    const live = new ScriptedSource('rtmp').addLevel(3000, 1000);
    at(0);
    feeder.switchTo(live);
    const before = output().length;
    at(20);
    expect(left(output().subarray(before))).toEqual(Array<number>(20).fill(3000));
    expect(base.active).toBe(false);
    feeder.setFadeMs(40);
    base.addLevel(1000, 1000);
    feeder.switchTo(base);
    at(40);
    expect(live.closed).toBe(false);
    at(60);
    expect(live.closed).toBe(true);
  });
});
