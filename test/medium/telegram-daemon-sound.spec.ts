import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_LIBRARY_FILE, type LibraryTrack } from '../../src/contracts/track-library.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { makeToneTrack, measureLoudness, PcmRecorder, spans, toneLevels, type ToneTrack } from './sound.fixtures.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, writeTelegramConfig } from './telegram-daemon.fixtures.js';

const STREAM_KEY = '1234567890:SoundKeySoundKeySoundKeySo';
const TARGET = -16;
const CROSSFADE_SEC = 2;
/** Played in this order (the daemon's own library order): four loudnesses, then a tone inside 3 s of silence each side. */
const TRACKS: Array<ToneTrack & { id: string }> = [
  { id: 'quiet', hz: 500, lufs: -30, seconds: 8 },
  { id: 'middle', hz: 1000, lufs: -20, seconds: 8 },
  { id: 'loud', hz: 1500, lufs: -8, seconds: 8 },
  // Quiet, with clicks 18 dB over the tone: raised 8 dB, they would reach +2 dBTP without the limiter.
  { id: 'peaky', hz: 700, lufs: -24, seconds: 8, clicksDb: 18 },
  { id: 'padded', hz: 2000, lufs: -16, seconds: 6, leadingSilence: 3, trailingSilence: 3 },
];
const TONES = TRACKS.map((t) => t.hz);
/** A tone is on the air above this RMS (share of full scale: -34 dBFS; the tones play near -16 dBFS). */
const PRESENT = 0.02;

describe('Telegram daemon: loudness, crossfade and cue points on the air (real ffmpeg, local RTMPS ingest)', () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;
  let recorder: PcmRecorder;

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(0, 1);
    const tracks: LibraryTrack[] = [];
    for (const track of TRACKS) {
      const path = `${track.id}.mp3`;
      await makeToneTrack(join(station.dataDir, 'tracks', path), track);
      // What the library's analysis stores: the file's loudness, and cues where its silence ends and begins.
      const measured = await measureLoudness(join(station.dataDir, 'tracks', path));
      const lead = track.leadingSilence ?? 0;
      tracks.push({
        ...{ id: track.id, title: track.id, artist: 'Test', album: '', genre: '', tags: [], path, addedAt: new Date().toISOString() },
        duration: lead + track.seconds + (track.trailingSilence ?? 0),
        loudness: { integratedLufs: measured.integratedLufs, rangeLu: 0, truePeakDbtp: measured.truePeakDbtp },
        cueIn: lead > 0 ? lead : null,
        cueOut: track.trailingSilence ? lead + track.seconds : null,
      });
    }
    await writeFile(join(station.dataDir, TRACK_LIBRARY_FILE), JSON.stringify({ tracks }));
    await writeTelegramConfig(station.dataDir, {
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: STREAM_KEY,
      normalize: true,
      loudnessTarget: TARGET,
      crossfadeSec: CROSSFADE_SEC,
    });
    daemon = await runDaemon(station);
    await waitUntil(async () => (await ingest.publishers('s')).length === 1, 10_000, 'the daemon to publish');
    recorder = new PcmRecorder(`${ingest.rtmpUrl('s')}${STREAM_KEY}`);
    await waitUntil(() => recorder.seconds > 0, 10_000, 'the recorder to hear the stream');
  }, 60_000);

  afterAll(async () => {
    await recorder?.stop();
    await daemon?.stop();
    await ingest?.stop();
  });

  it('plays every track at the target loudness, crossfades them, and skips the silent ends', async () => {
    // The first loop plays middle, loud and padded whole (the recorder joined during quiet); the second, quiet.
    await waitUntil(() => daemon.tracksStarted().filter((m) => m.track.id === 'middle').length >= 2, 60_000, 'a second loop');
    const pcm = recorder.pcm();
    const windows = toneLevels(pcm, TONES);
    const present = (hz: number) => spans(windows, (w) => w.levels[hz] > PRESENT);
    // Each track's whole run on the air (not one cut by the start of the recording), and the part of it heard alone.
    const runs = TRACKS.map((track) => {
      const run = present(track.hz)
        .filter(([from, to]) => from > 0.5 && to - from > 2)
        .at(-1);
      expect(run, `${track.id} (${track.hz} Hz) heard whole`).toBeDefined();
      const alone = spans(
        windows,
        (w) => w.at >= run![0] && w.at < run![1] && TONES.every((hz) => hz === track.hz || w.levels[hz] <= PRESENT),
      );
      const longest = alone.sort((a, b) => b[1] - b[0] - (a[1] - a[0]))[0];
      return { track, run: run!, alone: longest };
    });

    const figures: string[] = [];
    for (const { track, alone } of runs) {
      const measured = await measureLoudness(recorder.pcm(alone[0] + 0.2, alone[1] - 0.2));
      figures.push(`${track.id} (made at ${track.lufs} LUFS): ${measured.integratedLufs} LUFS, true peak ${measured.truePeakDbtp} dBTP`);
      expect(Math.abs(measured.integratedLufs - TARGET), `${track.id}: ${measured.integratedLufs} LUFS`).toBeLessThanOrEqual(1);
      expect(measured.truePeakDbtp, `${track.id} true peak`).toBeLessThanOrEqual(-1);
    }

    // Neighbours overlap for about the crossfade (each tone is under PRESENT near its own end of the fade).
    const overlaps = [
      [500, 1000],
      [1000, 1500],
      [1500, 700],
      [700, 2000],
    ].map(([a, b]) => {
      const both = spans(windows, (w) => w.levels[a] > PRESENT && w.levels[b] > PRESENT);
      return Math.max(0, ...both.map(([from, to]) => to - from));
    });
    const silences = spans(windows, (w) => w.rms < 0.005).filter(([from]) => from > 0.5);
    const longestSilence = Math.max(0, ...silences.map(([from, to]) => to - from));
    console.info(
      `[sound] on the air at ${TARGET} LUFS: ${figures.join('; ')}. Crossfade ${CROSSFADE_SEC} s heard as overlaps of ` +
        `${overlaps.map((s) => `${s.toFixed(2)} s`).join(', ')}; longest silence ${(longestSilence * 1000).toFixed(0)} ms ` +
        `(the padded track has 3 s of silence at each end); ${recorder.seconds.toFixed(1)} s recorded`,
    );
    for (const overlap of overlaps) {
      expect(overlap).toBeGreaterThanOrEqual(1.2);
      expect(overlap).toBeLessThanOrEqual(CROSSFADE_SEC + 0.3);
    }
    expect(longestSilence).toBeLessThan(0.2);
    // The padded track's tone is all that was heard of it: 6 s, not 12.
    const padded = runs.find((r) => r.track.id === 'padded')!;
    expect(padded.run[1] - padded.run[0]).toBeLessThan(7);
  });
});
