import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { TRACK_LIBRARY_FILE, type LibraryTrack } from '../../src/contracts/track-library.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import {
  analyseOnAir,
  describeOnAir,
  expectSoundOnAir,
  ISSUE_TRACKS,
  makeToneTrack,
  measureLoudness,
  PADDED_TRACK,
  PcmRecorder,
  type ToneTrack,
} from './sound.fixtures.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, writeTelegramConfig } from './telegram-daemon.fixtures.js';

const STREAM_KEY = '1234567890:SoundKeySoundKeySoundKeySo';
const TARGET = -16;
const CROSSFADE_SEC = 2;
/** Played in this order (the daemon's own library order): four loudnesses, then a tone inside 3 s of silence each side. */
const TRACKS: Array<ToneTrack & { id: string }> = [
  ...ISSUE_TRACKS,
  // Quiet, with clicks 18 dB over the tone: raised 8 dB, they would reach +2 dBTP without the limiter.
  { id: 'peaky', hz: 700, lufs: -24, seconds: 8, clicksDb: 18 },
  PADDED_TRACK,
];

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
    // The first loop plays the tracks after the first whole (the recorder joined during it); the second, the first.
    await waitUntil(() => daemon.tracksStarted().filter((m) => m.track.id === TRACKS[1].id).length >= 2, 60_000, 'a second loop');
    const sound = await analyseOnAir(recorder, TRACKS);
    console.info(
      `[sound] on the air at ${TARGET} LUFS, crossfade ${CROSSFADE_SEC} s: ${describeOnAir(sound, TRACKS)}; ${recorder.seconds.toFixed(1)} s recorded`,
    );
    // The padded track's cues left its 3 s silent ends out.
    expectSoundOnAir(sound, TARGET, CROSSFADE_SEC);
  });
});
