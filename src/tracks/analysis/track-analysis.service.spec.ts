import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../../test/factory.js';
import { analysisLog, type FakeAudioAnalysisRepository } from '../../../test/fakes/audio-analysis.repository.fake.js';
import { AudioAnalysisError } from '../../repositories/audio-analysis.repository.js';
import { type NewTrack, TrackRepository } from '../../repositories/track.repository.js';
import { TrackAnalysisService } from './track-analysis.service.js';

function track(i: number, fields: Partial<NewTrack> = {}): NewTrack {
  return {
    id: `t${i}`,
    title: `Title ${i}`,
    artist: 'A',
    album: '',
    genre: '',
    tags: [],
    path: `${i}.mp3`,
    duration: 10.05,
    addedAt: '2026-01-01T00:00:00.000Z',
    fileSize: 100 + i,
    fileMtimeMs: 1_700_000_000_000,
    ...fields,
  };
}

describe('TrackAnalysisService', () => {
  let ctx: TestService<TrackAnalysisService>;
  let service: TrackAnalysisService;
  let tracks: TrackRepository;
  let ffmpeg: FakeAudioAnalysisRepository;

  beforeEach(async () => {
    ctx = await newTestService(TrackAnalysisService);
    service = ctx.sut;
    tracks = ctx.get(TrackRepository);
    ffmpeg = ctx.fakes.audioAnalysis;
  });
  afterEach(() => ctx.close());

  const updated = () => ctx.events.filter(([name]) => name === 'tracks.updated').map(([, event]) => event as { trackIds: string[] });

  it('measures what entered the library, one track at a time, stores it like an edit and counts the progress', async () => {
    await tracks.insert([track(1), track(2), track(3, { path: '/music/3.flac' })]);
    let running = 0;
    let most = 0;
    ffmpeg.onAnalyse = async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return analysisLog({
        integratedLufs: -18.4,
        rangeLu: 5.2,
        truePeakDbtp: -0.7,
        seconds: 10,
        silences: [
          [0, 1.5],
          [9.25, 10],
        ],
      });
    };
    service.tracksUpdated({ reason: 'added', trackIds: ['t1', 't2', 't3'], count: 3, at: '' });
    await service.idle();

    expect(most).toBe(1);
    expect(ffmpeg.calls.map((call) => call.path)).toEqual([`${ctx.dataDir}/tracks/1.mp3`, `${ctx.dataDir}/tracks/2.mp3`, '/music/3.flac']);
    expect(ffmpeg.calls[0].filter).toContain('silencedetect=n=-50dB');
    // A whole number of ms (child_process refuses another), longer for a longer track.
    expect(Number.isInteger(ffmpeg.calls[0].timeoutMs)).toBe(true);
    const stored = await tracks.get('t2');
    expect(stored).toMatchObject({ loudness: { integratedLufs: -18.4, rangeLu: 5.2, truePeakDbtp: -0.7 }, cueIn: 1.5, cueOut: 9.25 });
    expect(service.statusOf(stored!)).toBe('analysed');
    // The results go out as changes (the first at once, then at most one per UPDATE_EVERY_MS: the snapshot and the
    // programme read the library for each).
    expect(updated().length).toBeLessThanOrEqual(2);
    expect(updated().flatMap((event) => event.trackIds)).toEqual(['t1', 't2', 't3']);
    expect(await service.progress()).toMatchObject({
      total: 3,
      analysed: 3,
      failed: 0,
      pending: 0,
      running: false,
      currentTrackId: null,
      thresholdDb: -50,
    });
    const progress = ctx.events.filter(([name]) => name === 'tracks.analysis.progress');
    expect(progress.at(-1)?.[1]).toMatchObject({ analysed: 3, running: false });

    // Its own change does not start another run; nothing is left to measure anyway.
    service.request();
    await service.idle();
    expect(ffmpeg.calls).toHaveLength(3);
  });

  it('records a silent or unreadable file as failed, and does not measure it again until its file changes', async () => {
    await tracks.insert([track(1), track(2)]);
    ffmpeg.onAnalyse = (path) =>
      path.endsWith('1.mp3')
        ? Promise.resolve(analysisLog({ integratedLufs: -70, silences: [[0, null]] }))
        : Promise.reject(new AudioAnalysisError('unreadable', 'ffmpeg could not read the file'));
    service.request();
    await service.idle();
    expect((await tracks.get('t1'))?.sound).toMatchObject({ error: 'silent', thresholdDb: -50 });
    expect((await tracks.get('t2'))?.sound).toMatchObject({ error: 'unreadable' });
    expect(await service.progress()).toMatchObject({ analysed: 0, failed: 2, pending: 0 });

    service.request();
    await service.idle();
    expect(ffmpeg.calls).toHaveLength(2);

    // A folder scan found new content under the path: measured again.
    await tracks.refreshFiles([
      { path: '1.mp3', fileSize: 5, fileMtimeMs: 6, metadata: { title: 'x', artist: '', album: '', genre: '', duration: 12 } },
    ]);
    ffmpeg.onAnalyse = () => Promise.resolve(analysisLog());
    expect(await service.progress()).toMatchObject({ failed: 1, pending: 1 });
    service.request();
    await service.idle();
    expect(ffmpeg.calls).toHaveLength(3);
    expect(await tracks.get('t1')).toMatchObject({ loudness: { integratedLufs: -20 }, sound: { error: null } });
  });

  it('measures every track again at a new silence threshold', async () => {
    await tracks.insert([track(1), track(2)]);
    service.request();
    await service.idle();
    service.soundSettings({ silenceThresholdDb: -40, at: '' });
    expect(['pending', 'running']).toContain(service.statusOf((await tracks.get('t2'))!));
    await service.idle();
    expect(ffmpeg.calls.map((call) => call.filter.split(':')[0])).toEqual([
      'silencedetect=n=-50dB',
      'silencedetect=n=-50dB',
      'silencedetect=n=-40dB',
      'silencedetect=n=-40dB',
    ]);
    expect(await service.progress()).toMatchObject({ analysed: 2, thresholdDb: -40 });
  });

  it('does not store a result for a file that changed while it was measured', async () => {
    await tracks.insert([track(1)]);
    ffmpeg.onAnalyse = async () => {
      await tracks.refreshFiles([
        { path: '1.mp3', fileSize: 1, fileMtimeMs: 2, metadata: { title: 'x', artist: '', album: '', genre: '', duration: 10 } },
      ]);
      ffmpeg.onAnalyse = () => Promise.resolve(analysisLog({ integratedLufs: -9 }));
      return analysisLog({ integratedLufs: -30 });
    };
    service.request();
    await service.idle();
    // The first result was of the old file; the job found the track still pending and measured the new one.
    service.request();
    await service.idle();
    expect((await tracks.get('t1'))?.loudness?.integratedLufs).toBe(-9);
  });

  it('stops without recording anything when ffmpeg is missing', async () => {
    await tracks.insert([track(1), track(2)]);
    ffmpeg.onAnalyse = () => Promise.reject(new AudioAnalysisError('ffmpeg_missing', 'ffmpeg is not installed'));
    service.request();
    await service.idle();
    expect(ffmpeg.calls).toHaveLength(1);
    expect(await service.progress()).toMatchObject({ pending: 2, running: false });
  });
});
