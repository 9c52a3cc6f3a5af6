import { describe, expect, it, vi } from 'vitest';
import { FakeProcess, FakeProcessRepository } from '../../../test/fakes/process.repository.fake.js';
import type { PcmChunk } from './audio-source.js';
import type { SoundSettings, UpcomingItem } from '../../contracts/daemon-messages.js';
import { PlaylistSource, PlaylistTrack } from './playlist-source.js';

const FORMAT = { sampleRate: 1000, channels: 2 };
const track = (id: string, path = `${id}.mp3`): PlaylistTrack => ({ id, title: id.toUpperCase(), artist: 'Artist', duration: 1, path });
/** A programme item: `itemId` plays track `id` from `path`. */
const item = (itemId: string, id: string, path = `${id}.mp3`): UpcomingItem => ({
  play: { itemId, reason: 'rotation', playlistId: 'pl-1' },
  track: { id, title: id.toUpperCase(), artist: 'Artist', duration: 1 },
  path,
});
const tick = () => new Promise((r) => setImmediate(r));

/** At 1000 frames/s a millisecond is a frame: a 4-frame crossfade is 0.004 s. */
const SOUND: SoundSettings = {
  normalize: true,
  loudnessTarget: -16,
  crossfadeSec: 0.004,
  crossfadeJingles: true,
  silenceThresholdDb: -50,
  liveFadeMs: 0,
  liveLoudness: false,
};
const measured = (integratedLufs: number, cues: { cueIn?: number; cueOut?: number } = {}) => ({
  loudness: { integratedLufs, rangeLu: 2, truePeakDbtp: integratedLufs + 3 },
  cueIn: cues.cueIn ?? null,
  cueOut: cues.cueOut ?? null,
});

function setup(library: PlaylistTrack[], loop = true, programmeWaitMs = 0, sound?: SoundSettings) {
  const processes = new FakeProcessRepository();
  let loads = 0;
  const errors: Array<{ code: string; message: string }> = [];
  const source = new PlaylistSource({
    processes,
    ffmpegPath: 'ffmpeg',
    format: FORMAT,
    loadTracks: async () => {
      loads += 1;
      return library;
    },
    tracksDir: '/data/tracks',
    shuffle: false,
    loop,
    aheadMs: 1000,
    idleRetryMs: 10,
    programmeWaitMs,
    sound,
  });
  source.on('error', (e) => errors.push(e));
  /** The decoder for `path`, once spawned. */
  const decoder = (path: string) => processes.spawned.find((p) => p.args.includes(path));
  const readAll = () => {
    const chunks: PcmChunk[] = [];
    let chunk: PcmChunk | null;
    while ((chunk = source.read(1 << 20))) chunks.push(chunk);
    return chunks;
  };
  return { processes, source, errors, decoder, readAll, loads: () => loads };
}

/** The decoder outputs `frames` frames of `fill` and exits normally. */
function decode(child: FakeProcess | undefined, fill: number, frames: number): void {
  if (!child) throw new Error('decoder not spawned');
  child.stdout.write(Buffer.alloc(frames * 4, fill));
  child.exit(0);
}

describe('PlaylistSource', () => {
  it('decodes tracks from the tracks folder to PCM, one after the other with no gap, marking each start', async () => {
    const { source, decoder, readAll } = setup([track('a'), track('b', '/music/b.flac')]);
    source.activate();
    await tick();
    source.available(); // the feeder polls: a goes on the air
    expect(decoder('/data/tracks/a.mp3')?.args.join(' ')).toContain('-f s16le -ar 1000 -ac 2 -flush_packets 1 pipe:1');
    decode(decoder('/data/tracks/a.mp3'), 1, 10);
    await tick();
    // While a plays out, b is decoded ahead.
    expect(decoder('/music/b.flac')).toBeDefined();
    decode(decoder('/music/b.flac'), 2, 5);
    await tick();
    const chunks = readAll();
    expect(chunks.map((c) => [c.track?.id, c.data.length, c.data[0]])).toEqual([
      ['a', 40, 1],
      ['b', 20, 2],
    ]);
  });

  it('re-reads the library at each track boundary and loops', async () => {
    const library = [track('a'), track('b')];
    const { source, decoder, readAll, loads, processes } = setup(library);
    source.activate();
    await tick();
    source.available();
    library.splice(1, 1, track('c')); // b replaced by c while a plays
    decode(decoder('/data/tracks/a.mp3'), 1, 1);
    await tick();
    expect(decoder('/data/tracks/b.mp3')).toBeUndefined();
    decode(decoder('/data/tracks/c.mp3'), 3, 1);
    await tick();
    expect(readAll().map((c) => c.track?.id)).toEqual(['a', 'c']);
    await tick();
    expect(loads()).toBe(3);
    // Looped back to a.
    expect(processes.spawned.filter((p) => p.args.includes('/data/tracks/a.mp3'))).toHaveLength(2);
  });

  it('skips an unplayable track with an error and plays the next', async () => {
    const { source, decoder, readAll, errors } = setup([track('bad'), track('good')]);
    source.activate();
    await tick();
    const bad = decoder('/data/tracks/bad.mp3')!;
    bad.stderr.write('bad.mp3: Invalid data found when processing input\n');
    bad.exit(1);
    await tick();
    await tick();
    decode(decoder('/data/tracks/good.mp3'), 5, 2);
    await tick();
    expect(readAll().map((c) => c.track?.id)).toEqual(['good']);
    expect(errors).toEqual([
      { code: 'track_unplayable', message: 'track bad (BAD) cannot be decoded: bad.mp3: Invalid data found when processing input' },
    ]);
  });

  it('deactivate() drops the current track and resumes with the next one already decoded', async () => {
    const { source, decoder, readAll, processes } = setup([track('a'), track('b')]);
    source.activate();
    await tick();
    const a = decoder('/data/tracks/a.mp3')!;
    a.stdout.write(Buffer.alloc(400, 1));
    await tick();
    expect(source.read(40)?.track?.id).toBe('a');
    source.deactivate();
    await tick();
    expect(a.killedWith).toEqual(['SIGKILL']);
    decode(decoder('/data/tracks/b.mp3'), 2, 3);
    await tick();
    source.activate();
    expect(readAll().map((c) => c.track?.id)).toEqual(['b']);
    expect(processes.spawned).toHaveLength(2);
  });

  it('finishes after the last track when loop is off', async () => {
    const { source, decoder, readAll } = setup([track('a')], false);
    let finished = false;
    source.on('finished', () => (finished = true));
    source.activate();
    await tick();
    decode(decoder('/data/tracks/a.mp3'), 1, 2);
    await tick();
    readAll();
    await tick();
    expect(finished).toBe(true);
    expect(source.finished).toBe(true);
  });

  it('plays the look-ahead in order, each start carrying its PlayRef, then goes on in library order', async () => {
    const { source, decoder, readAll, processes } = setup([track('a'), track('b')]);
    source.activate();
    await tick();
    source.available(); // a on the air, b decoding as next
    await tick();
    const b = decoder('/data/tracks/b.mp3')!;
    source.setUpcoming([item('x1', 'x'), item('y1', 'y', '/music/y.flac')]);
    expect(b.killedWith).toEqual(['SIGKILL']);
    expect(source.holding).toEqual(['x1', 'y1']);
    decode(decoder('/data/tracks/a.mp3'), 1, 2);
    decode(decoder('/data/tracks/x.mp3'), 2, 2);
    await tick();
    expect(readAll().map((c) => c.track)).toEqual([
      { id: 'a', title: 'A', artist: 'Artist', duration: 1 },
      { id: 'x', title: 'X', artist: 'Artist', duration: 1, play: { itemId: 'x1', reason: 'rotation', playlistId: 'pl-1' } },
    ]);
    decode(decoder('/music/y.flac'), 3, 2);
    await tick();
    expect(readAll().map((c) => [c.track?.id, c.track?.play?.itemId])).toEqual([['y', 'y1']]);
    expect(source.holding).toEqual([]);
    await tick();
    // The look-ahead ran out: b, dropped unplayed for x, is the library's next again.
    const bs = processes.spawned.filter((p) => p.args.includes('/data/tracks/b.mp3'));
    expect(bs).toHaveLength(2);
    decode(bs[1], 4, 2);
    await tick();
    expect(readAll().map((c) => [c.track?.id, c.track?.play])).toEqual([['b', undefined]]);
  });

  it("waits for Wave's first look-ahead before the library picks the first track, and no longer than programmeWaitMs", async () => {
    const waits = setup([track('a')], true, 40);
    waits.source.activate();
    await tick();
    expect(waits.processes.spawned).toHaveLength(0);
    waits.source.setUpcoming([item('x1', 'x')]);
    expect(waits.processes.spawned.map((p) => p.args.includes('/data/tracks/x.mp3'))).toEqual([true]);
    expect(waits.loads()).toBe(0);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const alone = setup([track('a')], true, 40);
      alone.source.activate();
      await tick();
      expect(alone.processes.spawned).toHaveLength(0);
      vi.advanceTimersByTime(40);
      await tick();
      expect(alone.decoder('/data/tracks/a.mp3')).toBeDefined();
      alone.source.close();
    } finally {
      vi.useRealTimers();
    }
    waits.source.close();
  });

  it('decodes the next track as soon as the current one is on the air, up to its high-water mark', async () => {
    const { source, decoder, processes } = setup([track('a'), track('b'), track('c')]);
    source.activate();
    await tick();
    source.available();
    await tick();
    const [a, b] = [decoder('/data/tracks/a.mp3')!, decoder('/data/tracks/b.mp3')!];
    expect(b).toBeDefined();
    expect(a.exitCode).toBeNull(); // a still decoding
    b.stdout.write(Buffer.alloc(5000, 2)); // aheadMs 1000 at 1000 Hz stereo: 4000 bytes
    await tick();
    expect(b.stdout.isPaused()).toBe(true);
    // Only the current and the next: c waits for b to go on the air.
    expect(processes.spawned).toHaveLength(2);
  });

  it('keeps the next decoder when the new look-ahead starts with it (same itemId, or same track and file)', async () => {
    const { source, decoder, processes, readAll } = setup([track('a')]);
    source.activate();
    await tick();
    source.available();
    source.setUpcoming([item('x1', 'x')]);
    const x = decoder('/data/tracks/x.mp3')!;
    source.setUpcoming([item('x1', 'x'), item('y1', 'y')]);
    source.setUpcoming([item('x2', 'x', '/data/tracks/x.mp3'), item('y1', 'y')]); // a new decision for the same file
    expect(x.killedWith).toEqual([]);
    expect(processes.spawned.filter((p) => p.args.includes('/data/tracks/x.mp3'))).toHaveLength(1);
    expect(source.holding).toEqual(['x2', 'y1']);
    decode(decoder('/data/tracks/a.mp3'), 1, 1);
    decode(x, 2, 1);
    await tick();
    expect(readAll().map((c) => c.track?.play?.itemId)).toEqual([undefined, 'x2']);
  });

  it('drops the next decoder when the new look-ahead starts with another item, and decodes that one', async () => {
    const { source, decoder, readAll } = setup([track('a')]);
    source.activate();
    await tick();
    source.available();
    source.setUpcoming([item('x1', 'x'), item('y1', 'y')]);
    const x = decoder('/data/tracks/x.mp3')!;
    source.setUpcoming([item('z1', 'z')]);
    expect(x.killedWith).toEqual(['SIGKILL']);
    expect(source.holding).toEqual(['z1']);
    decode(decoder('/data/tracks/a.mp3'), 1, 1);
    decode(decoder('/data/tracks/z.mp3'), 3, 1);
    await tick();
    expect(readAll().map((c) => c.track?.id)).toEqual(['a', 'z']);
    // An empty look-ahead drops a programme item too: the library goes on.
    source.setUpcoming([item('w1', 'w')]);
    const w = decoder('/data/tracks/w.mp3')!;
    source.setUpcoming([]);
    expect(w.killedWith).toEqual(['SIGKILL']);
    expect(source.holding).toEqual([]);
  });

  it('reports an undecodable item and tries the next one', async () => {
    const { source, decoder, readAll, errors } = setup([track('a')]);
    source.activate();
    await tick();
    source.available();
    source.setUpcoming([item('bad1', 'bad'), item('y1', 'y')]);
    const bad = decoder('/data/tracks/bad.mp3')!;
    bad.stderr.write('bad.mp3: No such file or directory\n');
    bad.exit(1);
    await tick();
    expect(errors).toEqual([
      { code: 'track_unplayable', message: 'track bad (BAD) cannot be decoded: bad.mp3: No such file or directory' },
    ]);
    expect(source.holding).toEqual(['y1']);
    decode(decoder('/data/tracks/a.mp3'), 1, 1);
    decode(decoder('/data/tracks/y.mp3'), 2, 1);
    await tick();
    expect(readAll().map((c) => c.track?.id)).toEqual(['a', 'y']);
  });

  it('reload re-picks a library track decoding as next, but keeps a programme item', async () => {
    const library = [track('a'), track('b')];
    const { source, decoder, processes } = setup(library);
    source.activate();
    await tick();
    source.available();
    await tick();
    const b = decoder('/data/tracks/b.mp3')!;
    library.splice(1, 1, track('c'));
    source.reload();
    await tick();
    expect(b.killedWith).toEqual(['SIGKILL']);
    const c = decoder('/data/tracks/c.mp3')!;
    expect(c).toBeDefined();
    source.setUpcoming([item('x1', 'x')]);
    const x = decoder('/data/tracks/x.mp3')!;
    const spawned = processes.spawned.length;
    source.reload();
    await tick();
    expect(x.killedWith).toEqual([]);
    expect(processes.spawned).toHaveLength(spawned);
    expect(source.holding).toEqual(['x1']);
  });

  it('skip ends the current track and the next one, already decoded, comes from the very next read', async () => {
    const { source, decoder, readAll, processes } = setup([track('a'), track('b')]);
    source.activate();
    await tick();
    source.available();
    await tick();
    const a = decoder('/data/tracks/a.mp3')!;
    a.stdout.write(Buffer.alloc(400, 1));
    decoder('/data/tracks/b.mp3')!.stdout.write(Buffer.alloc(40, 2));
    await tick();
    expect(source.read(40)?.track?.id).toBe('a');
    expect(source.skip()).toBe(true);
    expect(a.killedWith).toEqual(['SIGKILL']);
    const [next, ...rest] = readAll();
    expect([next.track?.id, next.data.length, next.data[0]]).toEqual(['b', 40, 2]);
    expect(rest).toEqual([]);
    // The one after b (a again: the library loops) is decoding as the next already.
    await tick();
    expect(processes.spawned.map((p) => p.args.find((arg) => arg.endsWith('.mp3')))).toEqual([
      '/data/tracks/a.mp3',
      '/data/tracks/b.mp3',
      '/data/tracks/a.mp3',
    ]);
  });

  it('skip with nothing decoded yet ends the current track; the next plays once it has PCM', async () => {
    const { source, decoder, readAll } = setup([track('a'), track('b')]);
    source.activate();
    await tick();
    source.available();
    decoder('/data/tracks/a.mp3')!.stdout.write(Buffer.alloc(40, 1));
    await tick();
    readAll();
    expect(source.skip()).toBe(true);
    expect(source.read(40)).toBeNull();
    decode(decoder('/data/tracks/b.mp3'), 2, 1);
    await tick();
    expect(readAll().map((c) => c.track?.id)).toEqual(['b']);
  });

  it('leaves out an item that went on the air already (a look-ahead sent before Wave heard it start)', async () => {
    const { source, decoder, readAll, processes } = setup([track('a')]);
    source.activate();
    await tick();
    source.available();
    source.setUpcoming([item('x1', 'x')]);
    decode(decoder('/data/tracks/a.mp3'), 1, 1);
    decode(decoder('/data/tracks/x.mp3'), 2, 1);
    await tick();
    readAll();
    source.setUpcoming([item('x1', 'x'), item('y1', 'y')]);
    expect(source.holding).toEqual(['y1']);
    expect(processes.spawned.filter((p) => p.args.includes('/data/tracks/x.mp3'))).toHaveLength(1);
  });

  it("goes first with Wave's item even while the library is being read, and keeps a library next on an empty look-ahead", async () => {
    const { source, decoder, readAll, processes } = setup([track('a'), track('b')]);
    source.activate(); // the library read is under way
    source.setUpcoming([item('x1', 'x')]);
    await tick();
    expect(processes.spawned.map((p) => p.args.find((arg) => arg.endsWith('.mp3')))).toEqual(['/data/tracks/x.mp3']);
    decode(decoder('/data/tracks/x.mp3'), 1, 1);
    await tick();
    expect(readAll().map((c) => c.track?.play?.itemId)).toEqual(['x1']);
    await tick();
    const a = decoder('/data/tracks/a.mp3')!; // the look-ahead ran out: the library from its start
    source.setUpcoming([]);
    expect(a.killedWith).toEqual([]);
    expect(source.holding).toEqual([]);
  });

  describe('sound', () => {
    /** a (10 frames of 0x1010) on the air and b (10 frames of 0x2020) next, both decoded to their end. */
    async function decodedTwo(sound: SoundSettings, library = [track('a'), track('b')], items?: [UpcomingItem, UpcomingItem]) {
      const fixture = setup(library, true, 0, sound);
      const { source, decoder } = fixture;
      if (items) source.setUpcoming(items);
      source.activate();
      await tick();
      source.available();
      decode(decoder('/data/tracks/a.mp3'), 0x10, 10);
      await tick();
      decode(decoder('/data/tracks/b.mp3'), 0x20, 10);
      await tick();
      return fixture;
    }

    /** decodedTwo, then what the feeder reads, 100 frames at a time. */
    async function twoTracks(sound: SoundSettings, items?: [UpcomingItem, UpcomingItem]) {
      const fixture = await decodedTwo(sound, undefined, items);
      const { source } = fixture;
      const chunks: PcmChunk[] = [];
      let chunk: PcmChunk | null;
      while ((chunk = source.read(400))) chunks.push(chunk);
      return { ...fixture, chunks };
    }
    const frames = (data: Buffer) => Array.from({ length: data.length / 4 }, (_, i) => data.readInt16LE(i * 4));

    it('crossfades: the next track starts under the last 4 frames of the current one, announced with the first of them', async () => {
      const { chunks } = await twoTracks(SOUND);
      expect(chunks.map((c) => [c.track?.id, c.data.length / 4])).toEqual([
        ['a', 6],
        ['b', 4],
        [undefined, 6],
      ]);
      const mixed = frames(chunks[1].data);
      expect(mixed[0]).toBe(0x1010); // the fade starts on a alone …
      expect(mixed[3]).toBeGreaterThan(0x1010); // … and b comes up under it
      expect(frames(chunks[2].data)).toEqual(Array(6).fill(0x2020));
    });

    it('crossfades at most half of either track', async () => {
      // 8 ms tracks: a 6 ms crossfade overlaps them by 4 ms.
      const { chunks } = await twoTracks({ ...SOUND, crossfadeSec: 0.006 }, [
        { ...item('A', 'a'), track: { ...item('A', 'a').track, duration: 0.008 } },
        { ...item('B', 'b'), track: { ...item('B', 'b').track, duration: 0.008 } },
      ]);
      expect(chunks.map((c) => [c.track?.id, c.data.length / 4])).toEqual([
        ['a', 6],
        ['b', 4],
        [undefined, 6],
      ]);
    });

    it('plays back to back with crossfade 0, and around a jingle when jingles are not crossfaded', async () => {
      const plain = await twoTracks({ ...SOUND, crossfadeSec: 0 });
      expect(plain.chunks.map((c) => [c.track?.id, c.data.length / 4])).toEqual([
        ['a', 10],
        ['b', 10],
      ]);
      const jingle = await twoTracks({ ...SOUND, crossfadeJingles: false }, [
        item('A', 'a'),
        { ...item('J', 'b'), play: { itemId: 'J', reason: 'jingle', playlistId: 'pl-j' } },
      ]);
      expect(jingle.chunks.map((c) => [c.track?.id, c.data.length / 4])).toEqual([
        ['a', 10],
        ['b', 10],
      ]);
    });

    it('decodes a measured track at its gain, from its cue-in to its cue-out', async () => {
      const { source, decoder } = setup([], true, 0, SOUND);
      source.setUpcoming([{ ...item('A', 'a'), sound: measured(-30, { cueIn: 3, cueOut: 60 }) }]);
      source.activate();
      await tick();
      expect(decoder('/data/tracks/a.mp3')?.args.join(' ')).toMatch(
        /-ss 3\.000 -t 57\.000 -i \/data\/tracks\/a\.mp3 -af volume=14\.00dB -vn/,
      );
    });

    it('decodes the next track again when new settings change its gain; the one on the air plays on', async () => {
      const { source, decoder, processes } = setup([], true, 0, SOUND);
      source.setUpcoming([
        { ...item('A', 'a'), sound: measured(-20) },
        { ...item('B', 'b'), sound: measured(-20) },
      ]);
      source.activate();
      await tick();
      source.available();
      decode(decoder('/data/tracks/a.mp3'), 1, 10);
      await tick();
      const first = decoder('/data/tracks/b.mp3')!;
      expect(first.args).toContain('volume=4.00dB');
      source.setSound({ ...SOUND, loudnessTarget: -23 });
      await tick();
      expect(first.killedWith).toEqual(['SIGKILL']);
      const again = processes.spawned.filter((p) => p.args.includes('/data/tracks/b.mp3'));
      expect(again.map((p) => p.args.find((a) => a.startsWith('volume=')))).toEqual(['volume=4.00dB', 'volume=-3.00dB']);
      expect(source.holding).toEqual(['B']);
      source.setSound({ ...SOUND, loudnessTarget: -23, crossfadeSec: 1 }); // same gain: kept
      expect(processes.spawned.filter((p) => p.args.includes('/data/tracks/b.mp3'))).toHaveLength(2);
    });

    it('a skip during a crossfade ends both tracks: the next one plays from the next read', async () => {
      const { source, decoder } = await decodedTwo(SOUND, [track('a'), track('b'), track('c')]);
      source.read(24); // 6 frames of a
      expect(source.read(8)?.track?.id).toBe('b'); // the fade began
      await tick();
      decode(decoder('/data/tracks/c.mp3'), 0x30, 10);
      await tick();
      expect(source.skip()).toBe(true);
      const next = source.read(400);
      expect([next?.track?.id, frames(next!.data)[0]]).toEqual(['c', 0x3030]);
    });
  });
});
