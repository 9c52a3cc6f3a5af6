import { ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isListening } from '../env/ports.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, writeTelegramConfig } from './telegram-daemon.fixtures.js';

const STREAM_KEY = '1234567890:SourcesKeySourcesKeySources';

function ffmpeg(args: string[]): ChildProcess {
  return spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: 'ignore' });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('Telegram daemon: switching sources on one connection (real ffmpeg, local RTMPS ingest)', () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;
  let sessionId: number;

  const sourceChanges = () =>
    daemon.messages.flatMap(({ receivedAt, message }) => (message.event === 'source-changed' ? [{ ...message, receivedAt }] : []));

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(2, 3);
    await writeTelegramConfig(station.dataDir, { serverUrl: ingest.rtmpsServerUrl, streamKey: STREAM_KEY });
    daemon = await runDaemon(station);
    const [publisher] = await waitUntil(
      async () => {
        const found = await ingest.publishers('s');
        return found.length === 1 ? found : undefined;
      },
      10_000,
      'the daemon to publish',
    );
    sessionId = publisher.publisher.id;
  });

  afterAll(async () => {
    await daemon?.stop();
    await ingest?.stop();
  });

  it('relays a live DJ from its first PCM, and returns to the playlist when the DJ stops', async () => {
    daemon.daemon.handleCommand({ command: 'switch-source', source: 'rtmp', url: `${ingest.rtmpUrl('live')}dj` });
    await new Promise((r) => setTimeout(r, 1000)); // the relay waits for a publisher; the playlist plays on
    expect(daemon.daemon.onAir).toBe('playlist');

    const djStartedAt = Date.now();
    const dj = ffmpeg([
      '-re',
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.3*sin(2*PI*1000*t):s=44100',
      '-ac',
      '2',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-f',
      'flv',
      `${ingest.rtmpUrl('live')}dj`,
    ]);
    try {
      const onAir = await waitUntil(
        () => sourceChanges().find((m) => m.source === 'rtmp' && m.receivedAt >= djStartedAt),
        10_000,
        'the relay on the air',
      );
      console.info(`[telegram] DJ process start → relay reported on air: ${onAir.receivedAt - djStartedAt} ms`);
      expect(onAir.receivedAt - djStartedAt).toBeLessThanOrEqual(5000);
      expect(onAir.label).toBe(`${ingest.rtmpUrl('live')}****`);
      await new Promise((r) => setTimeout(r, 2000));
      expect(daemon.daemon.onAir).toBe('rtmp');
    } finally {
      await kill(dj);
    }
    const djStoppedAt = Date.now();
    const back = await waitUntil(
      () => sourceChanges().find((m) => m.source === 'playlist' && m.receivedAt >= djStoppedAt),
      10_000,
      'the playlist back on the air',
    );
    console.info(`[telegram] DJ stop → playlist reported on air: ${back.receivedAt - djStoppedAt} ms`);
    expect(back.receivedAt - djStoppedAt).toBeLessThanOrEqual(5000);

    const publishers = await ingest.publishers('s');
    expect(publishers.map((p) => p.publisher.id)).toEqual([sessionId]);
    daemon.daemon.handleCommand({ command: 'switch-source', source: 'playlist' });
  });

  it('plays an internet radio URL, falls back to the playlist when it drops, and refuses local files', async () => {
    const port = await freePort();
    const radioUrl = `http://127.0.0.1:${port}/radio.mp3`;
    // ffmpeg as a one-listener HTTP radio server, paced in real time.
    const radio = ffmpeg([
      '-re',
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.3*sin(2*PI*660*t):s=44100',
      '-ac',
      '2',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-f',
      'mp3',
      '-listen',
      '1',
      radioUrl,
    ]);
    try {
      // Not by connecting: `-listen 1` serves the first client only.
      await waitUntil(() => isListening(port), 5000, 'the radio server to listen');
      const askedAt = Date.now();
      daemon.daemon.handleCommand({ command: 'switch-source', source: 'url', url: radioUrl });
      const onAir = await waitUntil(
        () => sourceChanges().find((m) => m.source === 'url' && m.receivedAt >= askedAt),
        10_000,
        'the radio on the air',
      );
      console.info(`[telegram] radio switch requested → reported on air: ${onAir.receivedAt - askedAt} ms`);
      expect(onAir.label).toBe(radioUrl);
    } finally {
      await kill(radio);
    }
    const droppedAt = Date.now();
    await waitUntil(
      () => sourceChanges().find((m) => m.source === 'playlist' && m.receivedAt >= droppedAt),
      10_000,
      'the playlist back after the radio dropped',
    );
    expect(daemon.messages.some(({ message }) => message.event === 'error' && message.code === 'source_failed')).toBe(true);

    daemon.daemon.handleCommand({ command: 'switch-source', source: 'url', url: 'file:///etc/passwd' });
    expect(daemon.messages.at(-1)?.message).toMatchObject({ event: 'error', code: 'invalid_command' });
    daemon.daemon.handleCommand({ command: 'switch-source', source: 'playlist' });

    const publishers = await ingest.publishers('s');
    expect(publishers.map((p) => p.publisher.id)).toEqual([sessionId]);
  });
});
