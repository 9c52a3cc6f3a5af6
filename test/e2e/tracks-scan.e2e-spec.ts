import { chmod, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ScanJob, ScanProgress } from '../../src/contracts/socket-events.js';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { makeTone } from '../env/media.js';
import { connectSocket, nextEvent } from '../env/sockets.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { withoutSound } from '../env/track-views.js';

// A folder import through the built server: real files made by ffmpeg, real ffprobe, the real database, progress
// over Socket.IO.

interface Track {
  id: string;
  title: string;
  artist: string;
  album: string;
  path: string;
  duration: number;
}

/** Root reads any file, so an unreadable one cannot be made: that item is left out when the suite runs as root. */
const AS_ROOT = process.getuid?.() === 0;

describe('Folder import end to end', () => {
  let wave: WaveServer;
  let admin: Socket;
  let music: string;
  const progress: ScanProgress[] = [];

  /** POST /api/tracks/scan, then the job's `scan:finished` over the admin socket. */
  async function scan(path: string): Promise<{ status: number; started: ScanJob; finished: ScanJob }> {
    const done = new Map<string, ScanJob>();
    const listener = (job: ScanJob) => done.set(job.id, job);
    admin.on('scan:finished', listener);
    try {
      const { status, body } = await call<ScanJob>(wave, 'POST', '/api/tracks/scan', { path });
      expect(status, JSON.stringify(body)).toBe(202);
      const finished = done.get(body.id) ?? (await nextEvent<ScanJob>(admin, 'scan:finished', 60_000, (job) => job.id === body.id));
      return { status, started: body, finished };
    } finally {
      admin.off('scan:finished', listener);
    }
  }

  const tracks = async () => (await call<{ tracks: Track[]; total: number }>(wave, 'GET', '/api/tracks?limit=1000')).body;

  beforeAll(async () => {
    music = await makeTempDir('scan-music');
    const tone = (name: string, tags?: Record<string, string>) => makeTone(join(music, name), { seconds: 1, tags });
    await mkdir(join(music, 'Late Hours', 'bonus'), { recursive: true });
    await mkdir(join(music, 'untagged'));
    await mkdir(join(music, '.stash'));
    await tone('a-tagged.mp3', { title: 'Night Drive', artist: 'Wave Ensemble', album: 'Singles', genre: 'Synthwave' });
    await tone('b_tagless.mp3');
    for (const n of [1, 2, 3, 4]) await tone(`Late Hours/0${n}.mp3`, { title: `Hour ${n}`, artist: 'Wave Ensemble', album: 'Late Hours' });
    await tone('Late Hours/bonus/05.flac', { title: 'Hour 5 (bonus)', artist: 'Wave Ensemble', album: 'Late Hours' });
    await tone('untagged/06.m4a');
    await tone('untagged/07.mp3');
    await tone('untagged/08.mp3');
    await tone('.hidden.mp3', { title: 'Hidden' });
    await tone('.stash/09.mp3', { title: 'Stashed' });
    await writeFile(join(music, 'notes.mp3'), 'text with an audio name');
    await symlink(music, join(music, 'untagged', 'loop'));
    if (!AS_ROOT) {
      await tone('locked.mp3');
      await chmod(join(music, 'locked.mp3'), 0o000);
    }
    wave = await startWave();
    admin = await connectSocket(`${wave.socketUrl}/admin`);
    admin.on('scan:progress', (p: ScanProgress) => progress.push(p));
  });

  afterAll(async () => {
    admin?.close();
    await wave?.dispose();
  });

  it('imports the tree: progress over the socket, counts, and the playlist in folder order', async () => {
    const { started, finished } = await scan(music);
    expect(started).toMatchObject({ state: 'running', path: music, finishedAt: null });

    expect(finished).toMatchObject({
      id: started.id,
      state: 'done',
      added: 10,
      updated: 0,
      unchanged: 0,
      skipped: 4,
      failedCount: AS_ROOT ? 0 : 1,
      found: AS_ROOT ? 14 : 15,
      processed: AS_ROOT ? 14 : 15,
      error: null,
    });
    expect(Object.fromEntries(finished.skippedFiles.map((s) => [s.file.slice(music.length + 1), s.reason]))).toEqual({
      '.hidden.mp3': "hidden (its name starts with '.')",
      '.stash': "hidden (its name starts with '.')",
      'notes.mp3': 'not audio (ffprobe)',
      'untagged/loop': 'a link to a folder (links to folders are not followed)',
    });
    if (!AS_ROOT) expect(finished.failed).toEqual([{ file: join(music, 'locked.mp3'), reason: 'EACCES: not readable by Wave' }]);
    const ours = progress.filter((p) => p.id === started.id);
    expect(ours.length).toBeGreaterThanOrEqual(1);
    expect(ours.every((p) => p.state === 'running' && p.processed <= p.found)).toBe(true);

    expect((await call<ScanJob>(wave, 'GET', `/api/tracks/scan/${started.id}`)).body).toEqual(finished);
    expect((await call<{ jobs: ScanJob[] }>(wave, 'GET', '/api/tracks/scan')).body.jobs.map((j) => j.id)).toEqual([started.id]);

    const { tracks: stored, total } = await tracks();
    expect(total).toBe(10);
    expect(stored.map((t) => [t.path.slice(music.length + 1), t.title])).toEqual([
      ['a-tagged.mp3', 'Night Drive'],
      ['b_tagless.mp3', 'b tagless'],
      ['Late Hours/01.mp3', 'Hour 1'],
      ['Late Hours/02.mp3', 'Hour 2'],
      ['Late Hours/03.mp3', 'Hour 3'],
      ['Late Hours/04.mp3', 'Hour 4'],
      ['Late Hours/bonus/05.flac', 'Hour 5 (bonus)'],
      ['untagged/06.m4a', '06'],
      ['untagged/07.mp3', '07'],
      ['untagged/08.mp3', '08'],
    ]);
    expect(stored[0]).toMatchObject({ artist: 'Wave Ensemble', album: 'Singles' });
    expect(stored[0].duration).toBeCloseTo(1, 0);
    // The library's file follows (what the Telegram daemon plays from).
    await vi.waitFor(
      async () => {
        const file = JSON.parse(await readFile(join(wave.dataDir, 'audio-tracks.json'), 'utf8')) as { tracks: Track[] };
        expect(file.tracks.map((t) => t.id)).toEqual(stored.map((t) => t.id));
      },
      { timeout: 5000, interval: 100 },
    );
  });

  it('finds everything unchanged when scanned again, and re-reads the one file that changed', async () => {
    const before = (await tracks()).tracks;
    const again = await scan(music);
    expect(again.finished).toMatchObject({ state: 'done', added: 0, updated: 0, unchanged: 10, skipped: 4 });
    expect((await tracks()).tracks.map(withoutSound)).toEqual(before.map(withoutSound));

    // The file replaced by a new encoding with other tags: same path, another size and modification time.
    const file = join(music, 'Late Hours', '02.mp3');
    await makeTone(join(music, 'Late Hours', 'bonus', '.02.new.mp3'), {
      seconds: 2,
      tags: { title: 'Hour 2 (remastered)', artist: 'Wave' },
    });
    await rename(join(music, 'Late Hours', 'bonus', '.02.new.mp3'), file);
    const changed = await scan(music);
    expect(changed.finished).toMatchObject({ state: 'done', added: 0, updated: 1, unchanged: 9 });
    const after = (await tracks()).tracks;
    expect(after.map((t) => t.id)).toEqual(before.map((t) => t.id));
    expect(after[3]).toMatchObject({ id: before[3].id, path: file, title: 'Hour 2 (remastered)', artist: 'Wave' });
    expect(after[3].duration).toBeCloseTo(2, 0);
  });

  it('refuses what is not a readable folder with a 400 naming path, and answers an unknown scan 404', async () => {
    for (const [path, message] of [
      ['/etc', 'path /etc is in a system folder'],
      ['/', 'path / holds the system folders'],
      [join(music, 'a-tagged.mp3'), `path ${join(music, 'a-tagged.mp3')} is not a folder`],
      [join(music, 'missing'), `path ${join(music, 'missing')} does not exist`],
      ['../..', 'a relative path must stay inside DATA_DIR/tracks'],
    ]) {
      const res = await call<{ code: string; message: string[] }>(wave, 'POST', '/api/tracks/scan', { path });
      expect({ path, status: res.status, code: res.body.code, message: res.body.message }).toEqual({
        path,
        status: 400,
        code: 'invalid_path',
        message: [message],
      });
    }
    expect((await call<{ message: string[] }>(wave, 'POST', '/api/tracks/scan', {})).body.message).toContain('path must be a string');
    const unknown = await call<{ code: string }>(wave, 'GET', '/api/tracks/scan/no-such-scan');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'scan_not_found' } });
  });
});
