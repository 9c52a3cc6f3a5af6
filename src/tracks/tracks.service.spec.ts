import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakeProcessRepository } from '../../test/fakes/process.repository.fake.js';
import { ExecError, type ExecResult } from '../repositories/process.repository.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import { analysisLog } from '../../test/fakes/audio-analysis.repository.fake.js';
import { TrackAnalysisService } from './analysis/track-analysis.service.js';
import { LibrarySnapshotService } from './library-snapshot.service.js';
import { TracksService, titleFromFileName } from './tracks.service.js';

/** ffprobe as the probe sees it: files whose content starts with "AUDIO" are audio with tags. */
async function ffprobe(command: string, args: readonly string[]): Promise<ExecResult> {
  expect(command).toBe('ffprobe');
  const target = args.at(-1)!;
  expect(target.startsWith('file:')).toBe(true);
  const content = await readFile(target.slice('file:'.length), 'utf8');
  if (!content.startsWith('AUDIO')) throw new ExecError('ffprobe failed: Invalid data found when processing input', 1, '', '');
  const stdout = JSON.stringify({
    streams: [{ codec_type: 'audio' }],
    format: { duration: '3.25', tags: { TITLE: 'Night Drive', ARTIST: 'Wave Ensemble' } },
  });
  return { stdout, stderr: '' };
}

describe('TracksService', () => {
  let dataDir: string;
  let music: string;
  let ctx: TestService<TracksService>;
  let service: TracksService;
  let processes: FakeProcessRepository;
  let emitted: Array<[string, unknown]>;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wave-tracks-spec-'));
    music = join(dataDir, 'music');
    await mkdir(music);
    await writeFile(join(music, 'song.mp3'), 'AUDIO…');
    await writeFile(join(music, 'notes.txt'), 'not audio');
    // Links out of the music: a file named like a song, and a folder inside DATA_DIR/tracks.
    await symlink('/etc/passwd', join(music, 'passwd.mp3'));
    await mkdir(join(dataDir, 'data', 'tracks'), { recursive: true });
    await symlink('/etc', join(dataDir, 'data', 'tracks', 'etc'));
    ctx = await newTestService(TracksService, {
      providers: [MediaProbeService, LibrarySnapshotService, TrackAnalysisService],
      dataDir: join(dataDir, 'data'),
    });
    service = ctx.sut;
    processes = ctx.fakes.process;
    processes.onExec = ffprobe;
    emitted = ctx.events;
  });

  afterEach(async () => {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds an audio file by path with the metadata ffprobe reads', async () => {
    const track = await service.addByPath({ path: join(music, 'song.mp3') });
    expect(track).toMatchObject({ title: 'Night Drive', artist: 'Wave Ensemble', duration: 3.25, path: join(music, 'song.mp3') });
    expect((await service.addByPath({ path: join(music, 'song.mp3'), title: 'Mine' })).title).toBe('Mine');
    expect((await service.list()).tracks.map((t) => t.id)).toHaveLength(2);
  });

  it.each([
    ['a missing file', () => join(music, 'missing.mp3'), 400],
    ['a folder', () => music, 400],
    ['a system file', () => '/etc/hostname', 400],
    ['a relative path leaving DATA_DIR/tracks', () => '../../music/song.mp3', 400],
    ['a symlink to a system file', () => join(music, 'passwd.mp3'), 400],
    ['a relative path through a symlink into /etc', () => 'etc/passwd', 400],
    ['a file without audio', () => join(music, 'notes.txt'), 415],
  ])('refuses %s and stores nothing', async (_name, path, status) => {
    await expect(service.addByPath({ path: path() })).rejects.toMatchObject({ status });
    expect((await service.list()).tracks).toEqual([]);
  });

  it('updates, reorders and removes; reorder must name every track once', async () => {
    const a = await service.addByPath({ path: join(music, 'song.mp3') });
    const b = await service.addByPath({ path: join(music, 'song.mp3') });
    expect(await service.update(a.id, { artist: 'Someone' })).toMatchObject({ id: a.id, artist: 'Someone', title: 'Night Drive' });
    await expect(service.update('nope', { title: 'x' })).rejects.toMatchObject({ status: 404 });

    await expect(service.reorder([b.id])).rejects.toMatchObject({ status: 409, code: 'order_mismatch' });
    await expect(service.reorder([b.id, b.id, a.id])).rejects.toMatchObject({ status: 409 });
    expect((await service.reorder([b.id, a.id])).map((t) => t.id)).toEqual([b.id, a.id]);

    await service.remove(a.id);
    await expect(service.remove(a.id)).rejects.toMatchObject({ status: 404 });
    expect((await service.list()).tracks.map((t) => t.id)).toEqual([b.id]);
    // A file added by path is the operator's: removing the track leaves it.
    expect(existsSync(join(music, 'song.mp3'))).toBe(true);
  });

  it('answers a reorder of 10,000 wrong ids with one 409 that lists a few and counts the rest', async () => {
    const a = await service.addByPath({ path: join(music, 'song.mp3') });
    const ids = [...Array.from({ length: 10_000 }, (_, i) => `unknown-${i}`), 'unknown-1'];
    const error = await service.reorder(ids).then(
      () => undefined,
      (e: { status: number; code: string; getResponse(): { message: string[] } }) => e,
    );
    expect(error).toMatchObject({ status: 409, code: 'order_mismatch' });
    const messages = error!.getResponse().message;
    expect(messages).toContain('trackIds names an unknown track unknown-0');
    expect(messages).toContain('trackIds names 9980 more unknown tracks');
    expect(messages).toContain(`trackIds leaves out track ${a.id}`);
    expect(messages).toContain('trackIds names track unknown-1 more than once');
    expect(messages.length).toBeLessThanOrEqual(23);
  });

  it('raises tracks.updated for each change (the library file is rewritten on it: library-snapshot.service.spec.ts)', async () => {
    await Promise.all([1, 2, 3].map(() => service.addByPath({ path: join(music, 'song.mp3') })));
    // (The loudness analysis raises its results as `updated`.)
    const added = () => emitted.filter(([name, event]) => name === 'tracks.updated' && (event as { reason: string }).reason === 'added');
    await vi.waitFor(() => expect(added()).toHaveLength(3));
    expect(emitted[0][1]).toMatchObject({ reason: 'added', trackIds: [expect.any(String)] });
    expect((await service.list()).total).toBe(3);
  });

  it('publishes the playlist file at once for a daemon about to start (no wait for the background snapshot)', async () => {
    const track = await service.addByPath({ path: join(music, 'song.mp3') });
    expect(await service.publishPlaylist()).toBe(1);
    const file = JSON.parse(await readFile(join(ctx.dataDir, 'audio-tracks.json'), 'utf8')) as { tracks: Array<{ id: string }> };
    expect(file.tracks.map((t) => t.id)).toEqual([track.id]);
  });

  it.each([
    ['Night_Drive.mp3', 'Night Drive'],
    ['C:\\music\\B-side.flac', 'B-side'],
    ['.hidden', '.hidden'],
    ['', 'Untitled'],
  ])('titles a file without a title tag from its name: %j → %j', (name, title) => {
    expect(titleFromFileName(name)).toBe(title);
  });

  it('titles a tagless file added by path from its name, with album, genre and labels from its tags', async () => {
    processes.onExec = () =>
      Promise.resolve({
        stdout: JSON.stringify({
          streams: [{ codec_type: 'audio', tags: { GENRE: 'Synthwave', grouping: 'night; instrumental;night' } }],
          format: { duration: '3.25', tags: { album: 'Late Hours' } },
        }),
        stderr: '',
      });
    const track = await service.addByPath({ path: join(music, 'song.mp3') });
    expect(track).toMatchObject({ title: 'song', artist: '', album: 'Late Hours', genre: 'Synthwave', tags: ['night', 'instrumental'] });
    expect(await service.get(track.id)).toEqual(track);
  });

  it('pages with a cursor through a sorted, searched list, and refuses a cursor that is not of this list', async () => {
    for (const title of ['Delta', 'alpha', 'Charlie', 'bravo', 'Echo']) await service.addByPath({ path: join(music, 'song.mp3'), title });
    const first = await service.list({ sort: 'title', limit: 2 });
    expect(first.tracks.map((t) => t.title)).toEqual(['alpha', 'bravo']);
    expect(first.total).toBe(5);
    const second = await service.list({ sort: 'title', limit: 2, cursor: first.nextCursor! });
    expect(second.tracks.map((t) => t.title)).toEqual(['Charlie', 'Delta']);
    const third = await service.list({ sort: 'title', limit: 2, cursor: second.nextCursor! });
    expect(third).toMatchObject({ tracks: [{ title: 'Echo' }], nextCursor: null });

    expect((await service.list({ search: 'ha' })).tracks.map((t) => t.title)).toEqual(['alpha', 'Charlie']);
    expect((await service.list({ search: 'ALPHA wave' })).total).toBe(1);
    expect((await service.list({ search: 'alpha drive' })).total).toBe(0);
    expect((await service.list({ search: '%' })).total).toBe(0);
    expect((await service.list({ sort: 'title', order: 'desc', limit: 1 })).tracks[0].title).toBe('Echo');

    for (const cursor of ['nope', Buffer.from('{"v":1}').toString('base64url'), first.nextCursor!]) {
      const query = cursor === first.nextCursor ? { sort: 'artist' as const, cursor } : { cursor };
      await expect(service.list(query)).rejects.toMatchObject({ status: 400, code: 'invalid_cursor' });
    }
  });

  it('refuses labels with control characters and keeps each label once', async () => {
    const track = await service.addByPath({ path: join(music, 'song.mp3') });
    await expect(service.update(track.id, { tags: ['a\nb'] })).rejects.toMatchObject({ status: 400, code: 'invalid_tags' });
    await expect(service.update(track.id, { tags: ['text', ' '] })).rejects.toMatchObject({
      status: 400,
      message: 'tags[1] must not be empty',
    });
    expect(await service.update(track.id, { tags: [' night ', 'night'] })).toMatchObject({ tags: ['night'] });
    expect((await service.list({ tag: 'night' })).total).toBe(1);
  });

  it("shows the loudness and cues the analysis measured, and takes the operator's cues (null: the detected ones again)", async () => {
    ctx.fakes.audioAnalysis.onAnalyse = () =>
      Promise.resolve(
        analysisLog({
          integratedLufs: -16.2,
          seconds: 3.25,
          silences: [
            [0, 0.5],
            [3, 3.25],
          ],
        }),
      );
    const added = await service.addByPath({ path: join(music, 'song.mp3') });
    await ctx.get(TrackAnalysisService).idle();
    expect(await service.get(added.id)).toMatchObject({
      loudness: { integratedLufs: -16.2 },
      cueIn: 0.5,
      cueOut: 3,
      cueInSource: 'detected',
      cueOutSource: 'detected',
      analysis: { status: 'analysed', error: null, thresholdDb: -50, cueInDetected: 0.5, cueOutDetected: 3 },
    });
    expect(await service.update(added.id, { cueIn: 1.25 })).toMatchObject({ cueIn: 1.25, cueInSource: 'operator', cueOut: 3 });
    expect(await service.update(added.id, { cueIn: null, cueOut: 2 })).toMatchObject({
      cueIn: 0.5,
      cueInSource: 'detected',
      cueOut: 2,
      cueOutSource: 'operator',
    });

    for (const [changes, field] of [
      [{ cueIn: -1 }, 'cueIn'],
      [{ cueIn: 3.25 }, 'cueIn'],
      [{ cueOut: 4 }, 'cueOut'],
      [{ cueOut: 0 }, 'cueOut'],
      [{ cueIn: Number.NaN }, 'cueIn'],
      [{ cueIn: 2.5 }, 'cueIn'], // past the operator's cue-out (2)
      [{ cueOut: 0.4 }, 'cueOut'], // before the detected cue-in (0.5)
      [{ cueIn: 1, cueOut: 1 }, 'cueIn'],
    ] as const) {
      const error = await service.update(added.id, changes).then(
        () => null,
        (e: unknown) => e as { status: number; code: string; details: string[] },
      );
      expect(error, JSON.stringify(changes)).toMatchObject({ status: 400, code: 'invalid_cue' });
      expect(JSON.stringify(error), JSON.stringify(changes)).toContain(field);
    }
    expect(await service.get(added.id)).toMatchObject({ cueIn: 0.5, cueOut: 2 });
    await expect(service.update('nope', { cueIn: 1 })).rejects.toMatchObject({ status: 404 });
  });
});
