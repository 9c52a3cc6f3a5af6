import { describe, expect, it } from 'vitest';
import { FakeProcess, FakeProcessRepository } from '../../../test/fakes/process.repository.fake.js';
import type { PcmChunk } from './audio-source.js';
import { PlaylistSource, PlaylistTrack } from './playlist-source.js';

const FORMAT = { sampleRate: 1000, channels: 2 };
const track = (id: string, path = `${id}.mp3`): PlaylistTrack => ({ id, title: id.toUpperCase(), artist: 'Artist', duration: 1, path });
const tick = () => new Promise((r) => setImmediate(r));

function setup(library: PlaylistTrack[], loop = true) {
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
});
