import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../../test/factory.js';
import type { ScanJob, ScanProgress } from '../../contracts/socket-events.js';
import { MediaProbeService } from '../../media/media-probe.service.js';
import { ExecError, type ExecResult } from '../../repositories/process.repository.js';
import { TrackRepository } from '../../repositories/track.repository.js';
import type { LibraryTrack } from '../../contracts/track-library.js';
import { KEPT_SCANS, LibraryScanService, SCAN_PROGRESS_INTERVAL_MS, SCAN_RETENTION_MS } from './library-scan.service.js';
import { SKIP_REASONS } from './scan-rules.js';

/** A file the fake ffprobe reads as audio, with these tags (none: a tagless file). */
const audio = (tags: Record<string, string> = {}) => `AUDIO ${JSON.stringify(tags)}`;

describe('LibraryScanService', () => {
  let base: string;
  let music: string;
  let ctx: TestService<LibraryScanService>;
  let scans: LibraryScanService;
  let tracks: TrackRepository;
  /** Files ffprobe was asked about, in order. */
  let probed: string[];
  /** While set, every probe waits for it (a scan that keeps running). */
  let gate: Promise<void> | null;

  /** ffprobe by content: `AUDIO {tags}` is audio, `SLOW` never finishes (the probe's timeout), anything else is no media. */
  async function ffprobe(command: string, args: readonly string[]): Promise<ExecResult> {
    expect(command).toBe('ffprobe');
    const file = args.at(-1)!.slice('file:'.length);
    probed.push(file);
    if (gate) await gate;
    const content = await readFile(file, 'utf8');
    if (content.startsWith('SLOW')) throw new ExecError('ffprobe timed out', null, '', '', true);
    if (!content.startsWith('AUDIO')) throw new ExecError('ffprobe failed: Invalid data found when processing input', 1, '', '');
    const tags = JSON.parse(content.slice('AUDIO'.length) || '{}') as Record<string, string>;
    const stdout = JSON.stringify({ streams: [{ codec_type: 'audio' }], format: { duration: tags.duration ?? '2.5', tags } });
    return { stdout, stderr: '' };
  }

  async function files(tree: Record<string, string>, under = music): Promise<void> {
    for (const [name, content] of Object.entries(tree)) {
      await mkdir(join(under, name, '..'), { recursive: true });
      await writeFile(join(under, name), content);
    }
  }

  async function finished(job: { id: string }): Promise<ScanJob> {
    await vi.waitFor(() => expect(scans.get(job.id).state).not.toBe('running'), { timeout: 10_000, interval: 10 });
    return scans.get(job.id);
  }

  async function scan(path: string): Promise<ScanJob> {
    return finished((await scans.start(path)).job);
  }

  async function library(): Promise<LibraryTrack[]> {
    const all: LibraryTrack[] = [];
    for await (const batch of tracks.inPlayOrder()) all.push(...batch);
    return all;
  }

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'wave-scan-spec-'));
    music = join(base, 'music');
    await mkdir(music);
    await mkdir(join(base, 'data'));
    probed = [];
    gate = null;
    ctx = await newTestService(LibraryScanService, { providers: [MediaProbeService], dataDir: join(base, 'data') });
    scans = ctx.sut;
    tracks = ctx.get(TrackRepository);
    ctx.fakes.process.onExec = ffprobe;
  });

  afterEach(async () => {
    gate = null;
    await ctx?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('imports a tree: new audio appended in name order, the rest skipped or failed with the reason, every file counted once', async () => {
    await files({
      'b-tagless.flac': audio(),
      'a-tagged.mp3': audio({
        title: 'Night Drive',
        artist: 'Wave Ensemble',
        album: 'Late Hours',
        genre: 'Synthwave',
        grouping: 'night; calm',
      }),
      'notes.txt': 'just text, whatever the name',
      'cover.mp3': 'PNG, not audio, named like a song',
      'album/02_Second.mp3': audio(),
      'album/01_First.mp3': audio({ title: 'First' }),
      'album/deeper/03.ogg': audio({ title: 'Third' }),
      '.hidden.mp3': audio({ title: 'Hidden' }),
      '.git/objects/song.mp3': audio({ title: 'In a hidden folder' }),
      'stuck.mp3': 'SLOW',
      'locked.mp3': audio({ title: 'Locked' }),
      'locked-folder/song.mp3': audio({ title: 'In a locked folder' }),
    });
    await files({ 'song.mp3': audio({ title: 'From elsewhere' }) }, join(base, 'elsewhere'));
    // Links: to the tree itself and to its parent (loops), to a file in the tree, to a file outside it (twice), broken, into /etc.
    await symlink(music, join(music, 'album', 'loop'));
    await symlink(base, join(music, 'up'));
    await symlink(join(music, 'album', '01_First.mp3'), join(music, 'first-again.mp3'));
    await symlink(join(base, 'elsewhere', 'song.mp3'), join(music, 'elsewhere.mp3'));
    await symlink(join(base, 'elsewhere', 'song.mp3'), join(music, 'elsewhere-too.mp3'));
    await symlink(join(music, 'gone.mp3'), join(music, 'broken.mp3'));
    await symlink('/etc/passwd', join(music, 'passwd.mp3'));
    execFileSync('mkfifo', [join(music, 'pipe.mp3')]);
    // Wave runs as root on CI, which reads any file: permissions are the storage's answer, scripted here.
    const storage = ctx.fakes.storage;
    const isReadable = storage.isReadable.bind(storage);
    vi.spyOn(storage, 'isReadable').mockImplementation((path) => (path.endsWith('locked.mp3') ? Promise.resolve(false) : isReadable(path)));
    const listEntries = storage.listEntries.bind(storage);
    vi.spyOn(storage, 'listEntries').mockImplementation((dir) =>
      dir.endsWith('locked-folder')
        ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' }))
        : listEntries(dir),
    );

    const job = await scan(music);

    const real = (name: string) => join(music, name);
    expect(job).toMatchObject({
      state: 'done',
      path: music,
      added: 6,
      updated: 0,
      unchanged: 0,
      error: null,
      finishedAt: expect.any(String),
    });
    expect(job.failed.sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      { file: real('locked-folder'), reason: `EACCES: permission denied, scandir '${real('locked-folder')}'` },
      { file: real('locked.mp3'), reason: 'EACCES: not readable by Wave' },
      { file: real('stuck.mp3'), reason: 'probe_timeout: ffprobe did not finish reading the file within 10 s' },
    ]);
    expect(Object.fromEntries(job.skippedFiles.map((s) => [s.file.slice(music.length + 1), s.reason]))).toEqual({
      '.git': SKIP_REASONS.hidden,
      '.hidden.mp3': SKIP_REASONS.hidden,
      'album/loop': SKIP_REASONS.folderLink,
      up: SKIP_REASONS.folderLink,
      'first-again.mp3': SKIP_REASONS.linkIntoFolder,
      // Two links to one file outside: the first in name order imports it ('-' sorts before '.').
      'elsewhere.mp3': SKIP_REASONS.linkSeen,
      'broken.mp3': SKIP_REASONS.brokenLink,
      'passwd.mp3': SKIP_REASONS.linkIntoSystem,
      'pipe.mp3': SKIP_REASONS.notRegular,
      'notes.txt': SKIP_REASONS.notAudio,
      'cover.mp3': SKIP_REASONS.notAudio,
    });
    expect(job).toMatchObject({ skipped: 11, failedCount: 3, found: 20, processed: 20 });

    // The folder's files first, then its folders, each in name order; the linked file under its real path.
    const stored = await library();
    expect(stored.map((t) => [t.path, t.title])).toEqual([
      [real('a-tagged.mp3'), 'Night Drive'],
      [real('b-tagless.flac'), 'b-tagless'],
      [join(base, 'elsewhere', 'song.mp3'), 'From elsewhere'],
      [real('album/01_First.mp3'), 'First'],
      [real('album/02_Second.mp3'), '02 Second'],
      [real('album/deeper/03.ogg'), 'Third'],
    ]);
    expect(stored[0]).toMatchObject({
      artist: 'Wave Ensemble',
      album: 'Late Hours',
      genre: 'Synthwave',
      tags: ['night', 'calm'],
      duration: 2.5,
    });
    // Nothing hidden, linked into the tree, a FIFO or in /etc was read.
    expect(probed.filter((p) => /hidden|\.git|pipe|passwd|first-again|locked/.test(p))).toEqual([]);
  });

  it('is idempotent: a second scan finds every stored file unchanged and reads none of them again', async () => {
    await files({ 'one.mp3': audio({ title: 'One' }), 'two/two.mp3': audio(), 'notes.txt': 'text' });
    const first = await scan(music);
    expect(first).toMatchObject({ added: 2, skipped: 1 });
    const before = await library();
    probed = [];

    const second = await scan(music);
    expect(second).toMatchObject({ state: 'done', found: 3, added: 0, updated: 0, unchanged: 2, skipped: 1, failedCount: 0 });
    // What is not in the library (not audio) is judged again; the stored files are not read.
    expect(probed).toEqual([join(music, 'notes.txt')]);
    expect(await library()).toEqual(before);
    expect(ctx.events.filter(([name]) => name === 'tracks.updated')).toHaveLength(1);
  });

  it("reads a changed file's tags again, keeping its id, labels and place; a track stored without a stamp keeps its metadata", async () => {
    await files({ 'a.mp3': audio({ title: 'A' }), 'b.mp3': audio({ title: 'Before', artist: 'Old' }), 'c.mp3': audio({ title: 'C' }) });
    await scan(music);
    const [a, b, c] = await library();
    await tracks.update(b.id, { tags: ['keep me'] });
    // A track imported from audio-tracks.json: no size or time stored, its title edited by the operator.
    const legacy = join(music, 'legacy.mp3');
    await writeFile(legacy, audio({ title: 'Tag title' }));
    await tracks.insert([
      {
        id: randomUUID(),
        title: 'Edited title',
        artist: '',
        album: '',
        genre: '',
        tags: [],
        path: legacy,
        duration: 1,
        addedAt: new Date().toISOString(),
        fileSize: null,
        fileMtimeMs: null,
      },
    ]);

    const file = join(music, 'b.mp3');
    await writeFile(file, audio({ title: 'After', artist: 'New', album: 'Remaster', duration: '4' }));
    const later = new Date((await stat(file)).mtimeMs + 5_000);
    await utimes(file, later, later);
    ctx.events.length = 0;

    const job = await scan(music);
    expect(job).toMatchObject({ added: 0, updated: 1, unchanged: 3 });
    const after = await library();
    expect(after.map((t) => t.id)).toEqual([a.id, b.id, c.id, expect.any(String)]);
    expect(after[1]).toMatchObject({
      id: b.id,
      title: 'After',
      artist: 'New',
      album: 'Remaster',
      duration: 4,
      tags: ['keep me'],
      addedAt: b.addedAt,
    });
    expect(after[3]).toMatchObject({ path: legacy, title: 'Edited title' });
    expect(ctx.events.filter(([name]) => name === 'tracks.updated').map(([, e]) => e)).toEqual([
      expect.objectContaining({ reason: 'updated', trackIds: [b.id], count: 4 }),
    ]);
    // The stamp is stored now: the next scan leaves the legacy track alone without reading it.
    probed = [];
    expect(await scan(music)).toMatchObject({ unchanged: 4, updated: 0 });
    expect(probed).toEqual([]);
  });

  it('stores a batch of at most 100 per insert, raises tracks.updated per batch and progress at most ~4 a second', async () => {
    await files(Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`${String(i).padStart(3, '0')}.mp3`, audio()])));
    const started = Date.now();
    const job = await scan(music);
    const elapsed = Date.now() - started;
    expect(job).toMatchObject({ added: 250, found: 250, processed: 250 });

    const added = ctx.events
      .filter(([name]) => name === 'tracks.updated')
      .map(([, e]) => e as { reason: string; trackIds: string[]; count: number });
    expect(added.map((e) => [e.reason, e.trackIds.length, e.count])).toEqual([
      ['added', 100, 100],
      ['added', 100, 200],
      ['added', 50, 250],
    ]);
    expect((await library()).map((t) => t.title)).toEqual(Array.from({ length: 250 }, (_, i) => String(i).padStart(3, '0')));

    const progress = ctx.events.filter(([name]) => name === 'tracks.scan.progress').map(([, e]) => e as ScanProgress);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / SCAN_PROGRESS_INTERVAL_MS) + 1);
    expect(progress.every((p) => p.id === job.id && p.state === 'running' && !('failed' in p))).toBe(true);
    const end = ctx.events.filter(([name]) => name === 'tracks.scan.finished');
    expect(end).toEqual([['tracks.scan.finished', job]]);
  });

  it('lists the first 100 skipped files and counts them all', async () => {
    await files(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`note-${i}.txt`, 'text'])));
    const job = await scan(music);
    expect(job).toMatchObject({ skipped: 150, found: 150 });
    expect(job.skippedFiles).toHaveLength(100);
  });

  it('takes a folder relative to DATA_DIR/tracks and stores its files as the library does (relative there)', async () => {
    await files({ 'sub/song.mp3': audio({ title: 'Inside' }) }, join(ctx.dataDir, 'tracks'));
    const job = await scan('sub');
    expect(job).toMatchObject({ path: join(ctx.dataDir, 'tracks', 'sub'), added: 1 });
    expect((await library()).map((t) => t.path)).toEqual(['sub/song.mp3']);
  });

  it.each([
    ['a missing folder', () => join(music, 'missing'), 'path /MUSIC/missing does not exist'],
    ['a file', () => join(music, 'song.mp3'), 'path /MUSIC/song.mp3 is not a folder'],
    ['a system folder', () => '/etc', 'path /etc is in a system folder'],
    ['a link into a system folder', () => join(music, 'etc'), 'path /MUSIC/etc is in a system folder'],
    ['the root of the file system', () => '/', 'path / holds the system folders'],
    ['a relative path out of DATA_DIR/tracks', () => '../..', 'a relative path must stay inside DATA_DIR/tracks'],
    ['NUL', () => 'a\0b', 'path must not contain NUL characters'],
  ])('refuses %s with a 400 naming path, and starts nothing', async (_name, path, message) => {
    await files({ 'song.mp3': audio() });
    await symlink('/etc', join(music, 'etc'));
    const error = await scans.start(path()).then(
      () => null,
      (e: { status: number; code: string; message: string }) => e,
    );
    expect(error).toMatchObject({ status: 400, code: 'invalid_path', message: message.replace('/MUSIC', music) });
    expect(scans.list()).toEqual([]);
  });

  it('answers an unknown job with 404 scan_not_found', () => {
    expect(() => scans.get('no-such-scan')).toThrow(expect.objectContaining({ status: 404, code: 'scan_not_found' }));
  });

  it('answers a second start for a running folder with the same job; refuses an overlapping folder and a third scan', async () => {
    await files({ 'a/one.mp3': audio(), 'b/two.mp3': audio(), 'c/three.mp3': audio() });
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const first = await scans.start(join(music, 'a'));
    expect(first).toMatchObject({ started: true, job: { state: 'running', path: join(music, 'a') } });
    expect(await scans.start(join(music, 'a', '.'))).toEqual({ started: false, job: expect.objectContaining({ id: first.job.id }) });
    await expect(scans.start(music)).rejects.toMatchObject({ status: 409, code: 'scan_overlap' });
    const second = await scans.start(join(music, 'b'));
    await expect(scans.start(join(music, 'c'))).rejects.toMatchObject({ status: 503, code: 'scans_busy' });
    expect(scans.list().map((j) => j.id)).toEqual([second.job.id, first.job.id]);

    release();
    gate = null;
    expect(await finished(first.job)).toMatchObject({ state: 'done', added: 1 });
    expect(await finished(second.job)).toMatchObject({ state: 'done', added: 1 });
    expect(await scan(join(music, 'c'))).toMatchObject({ state: 'done', added: 1 });
  });

  it('stops a running scan when Wave stops, keeping what it stored', async () => {
    await files(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`${String(i).padStart(3, '0')}.mp3`, audio()])));
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const { job } = await scans.start(music);
    await vi.waitFor(() => expect(probed.length).toBeGreaterThan(0));
    const stopped = scans.beforeApplicationShutdown();
    release();
    await stopped;
    expect(scans.get(job.id)).toMatchObject({ state: 'failed', error: 'Wave stopped before the scan finished' });
    expect(probed.length).toBeLessThan(120);
    await expect(scans.start(music)).rejects.toMatchObject({ status: 503, code: 'shutting_down' });
  });

  it(`forgets finished scans after an hour, and all but the last ${KEPT_SCANS}`, async () => {
    await files({ 'song.mp3': audio() });
    const jobs: ScanJob[] = [];
    for (let i = 0; i < KEPT_SCANS + 2; i++) jobs.push(await scan(music));
    expect(scans.list().map((j) => j.id)).toEqual(
      jobs
        .slice(2)
        .map((j) => j.id)
        .reverse(),
    );
    expect(() => scans.get(jobs[0].id)).toThrow(expect.objectContaining({ code: 'scan_not_found' }));
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + SCAN_RETENTION_MS + 1_000 });
    try {
      expect(scans.list()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
