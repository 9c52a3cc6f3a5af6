import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import {
  expectNowPlayingMatchesAudio,
  makeStation,
  RunningDaemon,
  runDaemon,
  StationDir,
  writeTelegramConfig,
} from './telegram-daemon.fixtures.js';
import { waitUntil } from '../env/wait.js';

const STREAM_KEY = '1234567890:WrapKeyWrapKeyWrapKeyWrap';
const RTMP_TIMESTAMP_WRAP_MS = 16_777_215;
/** The encoder's output starts 5 s before RTMP's 24-bit timestamps wrap (about 4 h 40 min into a stream). */
const OFFSET_MS = RTMP_TIMESTAMP_WRAP_MS - 5000;

describe('Telegram daemon across the RTMP 24-bit timestamp wrap (simulated with -output_ts_offset)', () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(2, 3);
    await writeTelegramConfig(station.dataDir, { serverUrl: ingest.rtmpsServerUrl, streamKey: STREAM_KEY });
    daemon = await runDaemon(station, { TELEGRAM_OUTPUT_TS_OFFSET_MS: String(OFFSET_MS) });
  });

  afterAll(async () => {
    await daemon?.stop();
    await ingest?.stop();
  });

  it('goes on across 16,777,215 ms on the same session, and now playing stays right', async () => {
    const [before] = await waitUntil(
      async () => {
        const found = await ingest.publishers('s');
        return found.length === 1 && found[0].publisher.timestamp > 0 ? found : undefined;
      },
      10_000,
      'the daemon to publish',
    );
    expect(before.publisher.timestamp).toBeGreaterThanOrEqual(OFFSET_MS);
    expect(before.publisher.timestamp).toBeLessThan(RTMP_TIMESTAMP_WRAP_MS);

    const [crossed] = await waitUntil(
      async () => {
        const found = await ingest.publishers('s');
        return found.length === 1 && found[0].publisher.timestamp > RTMP_TIMESTAMP_WRAP_MS + 1000 ? found : undefined;
      },
      15_000,
      'the publisher timestamp past the wrap',
    );
    console.info(`[telegram] publisher timestamp ${before.publisher.timestamp} → ${crossed.publisher.timestamp} ms`);
    expect(crossed.publisher.id).toBe(before.publisher.id);

    await expectNowPlayingMatchesAudio(ingest, STREAM_KEY, daemon, 2, 3);
    const [after] = await ingest.publishers('s');
    expect(after.publisher.id).toBe(before.publisher.id);
    expect(daemon.messages.some(({ message }) => message.event === 'connection' && message.state === 'reconnecting')).toBe(false);
  });
});
