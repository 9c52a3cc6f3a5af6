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

const STREAM_KEY = '1234567890:AAbbCCddEEffGGhhIIjjKK';
const TRACK_SECONDS = 3;

describe('Telegram daemon → local RTMPS ingest (real ffmpeg, nginx-rtmp behind socat TLS)', () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(3, TRACK_SECONDS);
    await writeTelegramConfig(station.dataDir, { serverUrl: ingest.rtmpsServerUrl, streamKey: STREAM_KEY });
    daemon = await runDaemon(station);
  });

  afterAll(async () => {
    await daemon?.stop();
    await ingest?.stop();
  });

  it('publishes one stream with H.264 video and AAC audio', async () => {
    const [publisher] = await waitUntil(
      async () => {
        const found = await ingest.publishers('s');
        return found.length === 1 && found[0].videoCodec && found[0].audioCodec ? found : undefined;
      },
      10_000,
      'a publisher with codecs in /stat',
    );
    expect(publisher.name).toBe(STREAM_KEY);
    expect(publisher.videoCodec).toBe('H264');
    expect(publisher.audioCodec).toBe('AAC');
    expect(publisher.audioSampleRate).toBe(44100);
    expect(daemon.messages.some(({ message }) => message.event === 'connection' && message.state === 'connected')).toBe(true);
  });

  it('changes tracks on one session and reports now playing within 1 s of the audio change', async () => {
    const [{ publisher: first }] = await ingest.publishers('s');
    await expectNowPlayingMatchesAudio(ingest, STREAM_KEY, daemon, 2, TRACK_SECONDS);
    const publishers = await ingest.publishers('s');
    expect(publishers.map((p) => p.publisher.id)).toEqual([first.id]);
    const { naccepted } = await ingest.stat();
    // Accepted: the daemon's one session, the listener, and the fixture's own readiness probe of the TLS port.
    expect(naccepted).toBeLessThanOrEqual(3);
  });

  it('publishes again within 5 s when the ingest was down for 10 s, and now playing stays right', async () => {
    const [{ publisher: before }] = await ingest.publishers('s');
    await ingest.stopTls();
    await waitUntil(async () => (await ingest.publishers('s')).length === 0, 5000, 'nginx to see the session drop');
    await new Promise((r) => setTimeout(r, 10_000));
    const backAt = Date.now();
    await ingest.startTls();
    const [after] = await waitUntil(
      async () => {
        const found = await ingest.publishers('s');
        return found.length === 1 ? found : undefined;
      },
      5000,
      'the daemon to publish again',
    );
    const downtime = Date.now() - backAt;
    console.info(`[telegram] publishing again ${downtime} ms after the ingest came back`);
    expect(downtime).toBeLessThanOrEqual(5000);
    expect(after.publisher.id).not.toBe(before.id);
    const connectionStates = () => daemon.messages.flatMap(({ message }) => (message.event === 'connection' ? [message] : []));
    // nginx lists the session as soon as ffmpeg publishes; the daemon reports `connected` when ffmpeg
    // prints its output header or its first progress, a moment later (on a busy machine, after the check).
    await waitUntil(() => connectionStates().at(-1)?.state === 'connected', 5000, 'the daemon to report connected');
    const reconnecting = connectionStates().find((m) => m.state === 'reconnecting');
    expect(reconnecting).toMatchObject({ attempt: 1, delayMs: 1000 });
    await expectNowPlayingMatchesAudio(ingest, STREAM_KEY, daemon, 1, TRACK_SECONDS);
  });

  it('never logs the stream key', () => {
    const logged = daemon.logLines.join('\n');
    expect(logged).toContain('Output #0');
    expect(logged).not.toContain(STREAM_KEY);
    expect(logged).not.toContain(STREAM_KEY.split(':')[1]);
  });
});
