import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonMessage, TrackEndedMessage, UpcomingAcceptedMessage, UpcomingItem } from '../../src/contracts/daemon-messages.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';
import { makeStation, RunningDaemon, runDaemon, StationDir, ToneListener, writeTelegramConfig } from './telegram-daemon.fixtures.js';

const STREAM_KEY = '1234567890:UpcomingKeyUpcomingKeyUpco';
// Long enough that the listener (ready ~3 s after the daemon) joins while track 1 still plays.
const TRACK_SECONDS = 6;
/** Track i is a sine at TONES[i] Hz: the listener tells the tracks apart by frequency. */
const TONES = [400, 800, 1200, 1600];

const item = (itemId: string, track: number): UpcomingItem => ({
  play: { itemId, reason: 'rotation', playlistId: 'pl-test' },
  track: { id: `track-${track}`, title: `Track ${track}`, artist: 'Test Artist', duration: TRACK_SECONDS },
  path: `t${track}.mp3`,
});

/** The tone a segment carries, as the nearest of TONES. */
const toneOf = (hz: number) => TONES.reduce((best, tone) => (Math.abs(tone - hz) < Math.abs(best - hz) ? tone : best));

describe("Telegram daemon: Wave's look-ahead and skip (real ffmpeg, local RTMPS ingest)", () => {
  let ingest: RtmpIngest;
  let station: StationDir;
  let daemon: RunningDaemon;
  let listener: ToneListener;

  const after = (index: number) => daemon.messages.slice(index).map(({ message }) => message);
  const answerAfter = (index: number) =>
    waitUntil(() => after(index).find((m): m is UpcomingAcceptedMessage => m.event === 'upcoming-accepted'), 2000, 'upcoming-accepted');
  const started = (trackId: string) =>
    waitUntil(
      () => daemon.tracksStarted().find((m) => m.track.id === trackId),
      (TRACK_SECONDS * 2 + 5) * 1000,
      `track-started for ${trackId}`,
    );

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    station = await makeStation(
      TONES.length,
      TRACK_SECONDS,
      TONES.map((hz) => ({ hz, amplitude: 0.3 })),
    );
    // Cuts between tracks: the listener tells them apart by tone, and the order is what is checked here.
    await writeTelegramConfig(station.dataDir, { serverUrl: ingest.rtmpsServerUrl, streamKey: STREAM_KEY, crossfadeSec: 0 });
    daemon = await runDaemon(station);
    await waitUntil(async () => (await ingest.publishers('s')).length === 1, 10_000, 'the daemon to publish');
    listener = new ToneListener(`${ingest.rtmpUrl('s')}${STREAM_KEY}`);
    await waitUntil(() => listener.receivedAny, 10_000, 'the listener to hear the stream');
  });

  afterAll(async () => {
    await listener?.stop();
    await daemon?.stop();
    await ingest?.stop();
  });

  it('plays the look-ahead in its order (each start carrying its PlayRef), and a skip cuts to the next at once, on one session', async () => {
    // The library order starts with track 1; Wave's programme then takes over.
    const first = await started('track-1');
    expect(first.track.play).toBeUndefined();
    let mark = daemon.messages.length;
    daemon.daemon.handleCommand({ command: 'set-upcoming', items: [item('A', 3), item('B', 4)] });
    expect(await answerAfter(mark)).toMatchObject({ started: [], holding: ['A', 'B'] });

    const a = await started('track-3');
    const b = await started('track-4');
    expect(a.track.play).toEqual({ itemId: 'A', reason: 'rotation', playlistId: 'pl-test' });
    expect(b.track.play).toEqual({ itemId: 'B', reason: 'rotation', playlistId: 'pl-test' });

    // 1.5 s into B: the next item, then skip B.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(b.startedAt) + 1500 - Date.now())));
    mark = daemon.messages.length;
    daemon.daemon.handleCommand({ command: 'set-upcoming', items: [item('C', 2)] });
    const answer = await answerAfter(mark);
    expect(answer.holding).toEqual(['C']);
    expect(answer.started.map((p) => [p.itemId, p.trackId])).toEqual([
      ['A', 'track-3'],
      ['B', 'track-4'],
    ]);
    expect(answer.started[1].startedAt).toBe(b.startedAt);
    await new Promise((r) => setTimeout(r, 300)); // C decodes ahead meanwhile
    const [{ publisher: session }] = await ingest.publishers('s');
    const { naccepted } = await ingest.stat();

    const skipAt = Date.now();
    mark = daemon.messages.length;
    daemon.daemon.handleCommand({ command: 'skip' });
    const heard = await waitUntil(() => listener.firstHeard(TONES[1], skipAt), 5000, 'the listener to hear C (800 Hz)');
    const delay = heard.at - skipAt;
    const c = await started('track-2');
    expect(c.track.play).toEqual({ itemId: 'C', reason: 'rotation', playlistId: 'pl-test' });
    const reports = after(mark).filter((m): m is Extract<DaemonMessage, { track: unknown }> => 'track' in m);
    expect(reports.map((m) => [m.event, m.track.id, (m as TrackEndedMessage).reason])).toEqual([
      ['track-ended', 'track-4', 'skipped'],
      ['track-started', 'track-2', undefined],
    ]);
    expect((reports[0] as TrackEndedMessage).endedAt).toBe(c.startedAt);

    await new Promise((r) => setTimeout(r, 1500)); // listen on past the cut
    const around = listener.gaps(0, { from: skipAt - 1500, to: heard.at + 1000 });
    const longestGapMs = Math.max(0, ...around.map((g) => g.ms));
    const heardTones = listener
      .segments({ minMs: 200 })
      .filter((s) => !s.silent)
      .map((s) => toneOf(s.hz));
    console.info(
      `[telegram] skip → next track heard: ${delay} ms; longest silence around the skip: ${longestGapMs} ms; ` +
        `longest anywhere: ${Math.max(0, ...listener.gaps(0).map((g) => g.ms))} ms; heard tones: ${heardTones.join(' → ')}`,
    );
    expect(delay).toBeLessThanOrEqual(1500);
    expect(listener.gaps(100, { from: skipAt - 1500, to: heard.at + 1000 })).toEqual([]);
    // The listener joined during track 1: then A, B (cut by the skip), C.
    expect(heardTones).toEqual([400, 1200, 1600, 800]);
    expect(listener.gaps(100)).toEqual([]);

    // One publisher session throughout: same client, nothing new accepted.
    const publishers = await ingest.publishers('s');
    expect(publishers.map((p) => p.publisher.id)).toEqual([session.id]);
    expect((await ingest.stat()).naccepted).toBe(naccepted);
  });

  it('refuses a malformed set-upcoming with invalid_command', () => {
    const mark = daemon.messages.length;
    daemon.daemon.handleCommand({ command: 'set-upcoming', items: [{ ...item('D', 1), path: '' }] } as never);
    expect(after(mark)).toMatchObject([{ event: 'error', code: 'invalid_command' }]);
  });
});
