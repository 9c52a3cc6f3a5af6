import type { AnalysisProgress } from '../../src/contracts/socket-events.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LibraryTrack } from '../../src/contracts/track-library.js';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { makeMeasuredTone } from '../env/media.js';
import { connectSocket, nextEvent } from '../env/sockets.js';
import { startWave, type WaveServer } from '../env/wave-server.js';

// The loudness analysis through the built server: an upload is measured by the real ffmpeg in the background, the
// progress endpoint says when, the track shows its loudness and cues, and the operator's cues go through PATCH.

interface TrackView extends LibraryTrack {
  cueInSource: string | null;
  cueOutSource: string | null;
  analysis: { status: string; error: string | null; thresholdDb: number | null };
  code?: string;
  message?: string[] | string;
}

describe('Track loudness and cues end to end (SQLite)', () => {
  let wave: WaveServer;
  let file: string;

  beforeAll(async () => {
    const media = await makeTempDir('sound-media');
    file = join(media, 'intro-outro.mp3');
    await makeMeasuredTone(file, { lufs: -20, seconds: 6, leadingSilence: 3, trailingSilence: 3 });
    wave = await startWave();
  });
  afterAll(async () => {
    await wave?.dispose();
  });

  it('measures an upload, shows its loudness and detected cues, and takes the operator cues (400 naming the field otherwise)', async () => {
    const admin = await connectSocket(`${wave.socketUrl}/admin`);
    const idle = nextEvent<AnalysisProgress>(admin, 'analysis:progress', 30_000, (p) => p.analysed === 1 && !p.running);
    const form = new FormData();
    form.append('file', new Blob([await readFile(file)]), 'intro-outro.mp3');
    const res = await fetch(`${wave.baseUrl}/api/tracks/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const added = (await res.json()) as TrackView;
    expect(['pending', 'running', 'analysed']).toContain(added.analysis.status);

    await vi.waitFor(
      async () => {
        const progress = (await call<AnalysisProgress>(wave, 'GET', '/api/tracks/analysis')).body;
        expect(progress).toMatchObject({ total: 1, analysed: 1, pending: 0, failed: 0, running: false, thresholdDb: -50 });
      },
      { timeout: 30_000, interval: 200 },
    );

    // The admin room heard it too (throttled; the last once the job went idle).
    expect(await idle).toMatchObject({ total: 1, analysed: 1, pending: 0, currentTrackId: null });
    admin.disconnect();

    const track = (await call<TrackView>(wave, 'GET', `/api/tracks/${added.id}`)).body;
    expect(Math.abs(track.loudness!.integratedLufs + 20)).toBeLessThanOrEqual(1);
    expect(Math.abs(track.cueIn! - 3)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(track.cueOut! - (track.duration - 3))).toBeLessThanOrEqual(0.15);
    expect(track).toMatchObject({ cueInSource: 'detected', cueOutSource: 'detected', analysis: { status: 'analysed', error: null } });

    // The library file the daemon reads carries them too.
    await vi.waitFor(async () => {
      const snapshot = JSON.parse(await readFile(join(wave.dataDir, 'audio-tracks.json'), 'utf8')) as { tracks: LibraryTrack[] };
      expect(snapshot.tracks[0]).toMatchObject({ id: added.id, loudness: track.loudness, cueIn: track.cueIn, cueOut: track.cueOut });
    });

    const patched = await call<TrackView>(wave, 'PATCH', `/api/tracks/${added.id}`, { cueIn: 2.5 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ cueIn: 2.5, cueInSource: 'operator', cueOut: track.cueOut });

    for (const [body, field] of [
      [{ cueIn: -1 }, 'cueIn'],
      [{ cueIn: 'soon' }, 'cueIn'],
      [{ cueOut: track.duration + 1 }, 'cueOut'],
      [{ cueIn: 8, cueOut: 7 }, 'cueIn'],
      [{ cueOut: 1 }, 'cueOut'],
    ] as const) {
      const refused = await call<TrackView>(wave, 'PATCH', `/api/tracks/${added.id}`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(refused.body.message), JSON.stringify(body)).toContain(field);
    }
    const reset = await call<TrackView>(wave, 'PATCH', `/api/tracks/${added.id}`, { cueIn: null });
    expect(reset.body).toMatchObject({ cueIn: track.cueIn, cueInSource: 'detected' });
    expect((await call<TrackView>(wave, 'GET', `/api/tracks/${added.id}`)).body).toMatchObject({
      cueIn: track.cueIn,
      cueOut: track.cueOut,
    });
  });
});
