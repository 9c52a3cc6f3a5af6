import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, ToneListener, writeTelegramConfig } from './telegram-daemon.fixtures.js';
import { waitUntil } from '../env/wait.js';

const STREAM_KEY = '1234567890:LatencyLatencyLatency';
const TRACK_SECONDS = 2;
const TONES = [440, 1000, 440, 1000, 440, 1000].map((hz) => ({ hz, amplitude: 0.3 }));

// The daemon's output latency: from a frame's due time at the feeder to when a low-latency listener on the ingest
// hears it (encoder, FLV interleave with the cover, the RTMP client, TLS, nginx-rtmp, the listener's own decoder).
// The daemon runs with TELEGRAM_OUTPUT_LATENCY_MS=0, so a track's startedAt is its first frame's due time; cuts, not
// crossfades, so that frame is where the new tone begins.
describe('Telegram daemon output latency (feeder → listener on the local RTMPS ingest)', () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;
  let listener: ToneListener;

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(TONES.length, TRACK_SECONDS, TONES);
    await writeTelegramConfig(station.dataDir, {
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: STREAM_KEY,
      shuffle: false,
      crossfadeSec: 0,
    });
    daemon = await runDaemon(station, { TELEGRAM_OUTPUT_LATENCY_MS: '0' });
  });

  afterAll(async () => {
    await listener?.stop();
    await daemon?.stop();
    await ingest?.stop();
  });

  it('hears each track change within a second of its due time (printed: the latency per change and its median)', async () => {
    await waitUntil(async () => (await ingest.publishers('s')).length === 1, 10_000, 'the daemon to publish');
    listener = new ToneListener(`${ingest.rtmpUrl('s')}${STREAM_KEY}`);
    await waitUntil(() => listener.receivedAny, 10_000, 'the listener to hear the stream');
    const since = Date.now() + 500;
    await waitUntil(() => daemon.tracksStarted().filter((t) => Date.parse(t.startedAt) > since).length >= 4, 20_000, 'four track changes');
    await new Promise((r) => setTimeout(r, 1500));
    const latencies = daemon
      .tracksStarted()
      .filter((t) => Date.parse(t.startedAt) > since)
      .slice(0, 4)
      .map((t) => {
        const hz = TONES[Number(t.track.id.replace('track-', '')) - 1].hz;
        const heard = listener.firstHeard(hz, Date.parse(t.startedAt), 100);
        return heard ? heard.at - Date.parse(t.startedAt) : NaN;
      });
    const median = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
    console.info(`[latency] feeder due → heard (ms): ${latencies.join(', ')}; median ${median}`);
    expect(latencies.every((ms) => ms > 0 && ms < 1500)).toBe(true);
  });
});
