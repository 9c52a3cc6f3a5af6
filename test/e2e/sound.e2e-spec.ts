import type { AnalysisProgress } from '../../src/contracts/socket-events.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { call } from '../env/http.js';
import { makeCover } from '../env/media.js';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
import { startRtmpIngest, type RtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { startWave, type WaveServer } from '../env/wave-server.js';
import {
  analyseOnAir,
  describeOnAir,
  expectSoundOnAir,
  ISSUE_TRACKS,
  makeToneTrack,
  PADDED_TRACK,
  PcmRecorder,
} from '../medium/sound.fixtures.js';

const KEY = '1234567890:SoundE2eKeySoundE2eKeySou';
const TARGET = -16;
const CROSSFADE_SEC = 2;
/** Added in this order, so the library plays them in it: the issue's three loudnesses, then a tone inside 3 s of silence. */
const TRACKS = [...ISSUE_TRACKS, PADDED_TRACK];

// The whole chain: Wave measures each upload (the analysis job), the programme sends each track's loudness and cues
// to the daemon, which plays them at the target with crossfades; a listener on the local Telegram-side ingest records
// what went on the air and ebur128 measures it.
describe('Sound on the air (Wave → analysis → programme → PM2 daemon → RTMPS ingest → listener), SQLite', () => {
  let home: Pm2Home;
  let ingest: RtmpIngest;
  let wave: WaveServer;
  let recorder: PcmRecorder;
  const ids: string[] = [];

  beforeAll(async () => {
    [home, ingest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    const media = await makeTempDir('sound-e2e-media');
    await makeCover(join(media, 'cover.png'));
    wave = await startWave({ env: { PM2_HOME: home.path } });
    for (const track of TRACKS) {
      const path = join(media, `${track.id}.mp3`);
      await makeToneTrack(path, track);
      const res = await call<{ id: string }>(wave, 'POST', '/api/tracks', { path });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
    }
    await waitUntil(
      async () => {
        const progress = (await call<AnalysisProgress>(wave, 'GET', '/api/tracks/analysis')).body;
        return progress.analysed === TRACKS.length && !progress.running;
      },
      60_000,
      'every track analysed',
    );
    const config = await call(wave, 'PUT', '/api/stream/telegram/config', {
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: KEY,
      coverImage: join(media, 'cover.png'),
      normalize: true,
      loudnessTarget: TARGET,
      crossfadeSec: CROSSFADE_SEC,
    });
    expect(config.status, JSON.stringify(config.body)).toBe(200);
    expect((await call(wave, 'POST', '/api/stream/telegram/start')).status).toBe(200);
    await waitUntil(async () => (await ingest.publishers('s')).length === 1, 15_000, 'the daemon to publish');
    recorder = new PcmRecorder(`${ingest.rtmpUrl('s')}${KEY}`);
    await waitUntil(() => recorder.seconds > 0, 15_000, 'the recorder to hear the stream');
  }, 180_000);

  afterAll(async () => {
    await recorder?.stop();
    if (wave) {
      await call(wave, 'POST', '/api/stream/telegram/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await ingest?.stop();
  });

  it('plays tracks made at -30, -20 and -8 LUFS within 1 LU of the target, true peak ≤ -1 dBTP, crossfaded, with no dead air', async () => {
    const history = async () =>
      (await call<{ items: Array<{ trackId: string | null }> }>(wave, 'GET', '/api/history?order=asc&limit=100')).body.items;
    // A second play of the second track: every track has played whole once since the recorder joined.
    await waitUntil(async () => (await history()).filter((row) => row.trackId === ids[1]).length >= 2, 90_000, 'a second loop');
    const sound = await analyseOnAir(recorder, TRACKS);
    console.info(`[sound e2e] at ${TARGET} LUFS, crossfade ${CROSSFADE_SEC} s: ${describeOnAir(sound, TRACKS)}`);
    // The padded track's detected cues left its 3 s silent ends out.
    expectSoundOnAir(sound, TARGET, CROSSFADE_SEC);
  });
});
