import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeProcessRepository } from '../../../test/fakes/process.repository.fake.js';
import type {
  DaemonErrorMessage,
  DaemonMessage,
  TrackEndedMessage,
  TrackStartedMessage,
  UpcomingItem,
} from '../../contracts/daemon-messages.js';
import type { StorageRepository } from '../../repositories/storage.repository.js';
import { soundSettings, TELEGRAM_CONFIG_DOCUMENT } from '../telegram-config.document.js';
import { daemonEnvironment } from './daemon-settings.js';
import { bytesForMs } from './pcm.js';
import type { PlaylistTrack } from './playlist-source.js';
import { ingestTarget } from './destination-link.js';
import { preferredSource, sameSource, TelegramStreamDaemon } from './telegram-stream-daemon.js';

describe('preferredSource (switch-source command from Wave)', () => {
  it('accepts the playlist, radio URLs and RTMP relays', () => {
    expect(preferredSource({ command: 'switch-source', source: 'playlist' })).toEqual({ kind: 'playlist' });
    expect(preferredSource({ command: 'switch-source', source: 'url', url: 'https://radio.example/live.mp3' })).toEqual({
      kind: 'url',
      url: 'https://radio.example/live.mp3',
    });
    expect(preferredSource({ command: 'switch-source', source: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/dj' })).toEqual({
      kind: 'rtmp',
      url: 'rtmp://127.0.0.1:1935/live/dj',
    });
    // Wave's own ingest is marked as such (read by ffmpeg directly, not held to WAVE_OUTBOUND_ALLOW); only for rtmp.
    expect(preferredSource({ command: 'switch-source', source: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/id', ingest: true })).toEqual({
      kind: 'rtmp',
      url: 'rtmp://127.0.0.1:1935/live/id',
      ingest: true,
    });
    expect(preferredSource({ command: 'switch-source', source: 'url', url: 'http://127.0.0.1/x', ingest: true } as never)).toEqual({
      kind: 'url',
      url: 'http://127.0.0.1/x',
    });
  });

  it.each([
    ['url', 'file:///etc/passwd'],
    ['url', 'concat:/etc/passwd|/etc/hosts'],
    ['url', 'subfile:,start,0,end,10,:/etc/passwd'],
    ['rtmp', 'http://radio.example/live.mp3'],
  ] as const)('refuses a %s source at %s', (source, url) => {
    expect(typeof preferredSource({ command: 'switch-source', source, url })).toBe('string');
  });
});

describe('sameSource (a repeated switch leaves the source on the air alone)', () => {
  it('matches the same kind and URL only', () => {
    expect(sameSource({ kind: 'playlist' }, { kind: 'playlist' })).toBe(true);
    expect(sameSource({ kind: 'rtmp', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/a' })).toBe(true);
    expect(sameSource({ kind: 'rtmp', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/b' })).toBe(false);
    expect(sameSource({ kind: 'url', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/a' })).toBe(false);
    expect(sameSource({ kind: 'playlist' }, { kind: 'url', url: 'https://radio.example/a' })).toBe(false);
  });
});

describe('ingestTarget', () => {
  it('probes the ingest port: explicit, 443 for rtmps, 1935 for rtmp', () => {
    expect(ingestTarget('rtmps://dc4-1.rtmp.t.me/s/')).toEqual({ host: 'dc4-1.rtmp.t.me', port: 443 });
    expect(ingestTarget('rtmp://127.0.0.1/live')).toEqual({ host: '127.0.0.1', port: 1935 });
    expect(ingestTarget('rtmps://127.0.0.1:1936/s/')).toEqual({ host: '127.0.0.1', port: 1936 });
  });
});

const noop = () => undefined;
const FORMAT = { sampleRate: 44100, channels: 2 };
const libraryTrack = (id: string): PlaylistTrack => ({ id, title: id.toUpperCase(), artist: 'Artist', duration: 1, path: `${id}.mp3` });
const upcoming = (itemId: string, id: string): UpcomingItem => ({
  play: { itemId, reason: 'rotation', playlistId: 'pl-1' },
  track: { id, title: id.toUpperCase(), artist: 'Artist', duration: 1 },
  path: `${id}.mp3`,
});

/**
 * A daemon on fakes: ffmpeg is FakeProcessRepository, the cover clip is "cached", and the ingest (loopback, not
 * allowed) is refused before any socket opens. Timers and performance.now are vitest's, so the feeder's clock is too.
 */
async function startDaemon(library: PlaylistTrack[]) {
  const processes = new FakeProcessRepository();
  const messages: DaemonMessage[] = [];
  const daemon = new TelegramStreamDaemon({
    config: { ...TELEGRAM_CONFIG_DOCUMENT.defaults(), serverUrl: 'rtmps://127.0.0.1:1/s/', streamKey: '1:key' },
    env: daemonEnvironment({ TELEGRAM_OUTPUT_LATENCY_MS: '0', TELEGRAM_PROGRAMME_WAIT_MS: '0' }),
    processes,
    storage: { stat: () => Promise.resolve({ size: 1 }) } as unknown as StorageRepository,
    logger: { error: noop, warn: noop, info: noop, debug: noop },
    report: (message) => messages.push(message),
    loadTracks: () => Promise.resolve(library),
    tracksDir: '/data/tracks',
    coverImage: '',
    cacheDir: '/data/cache',
  });
  await daemon.start();
  await vi.advanceTimersByTimeAsync(0);
  const decoder = (id: string) => processes.spawned.filter((p) => p.args.includes(`/data/tracks/${id}.mp3`)).at(-1)!;
  const last = () => messages.at(-1);
  const trackReports = () => messages.filter((m) => m.event === 'track-started' || m.event === 'track-ended');
  return { daemon, processes, messages, decoder, last, trackReports, advance: (ms: number) => vi.advanceTimersByTimeAsync(ms) };
}

describe('TelegramStreamDaemon: the programme (set-upcoming, skip, upcoming-accepted)', () => {
  let running: Awaited<ReturnType<typeof startDaemon>> | null = null;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  });

  afterEach(async () => {
    await running?.daemon.stop('test done');
    running = null;
    vi.useRealTimers();
  });

  it('answers each set-upcoming with the programme plays started since its last answer, and what it holds', async () => {
    running = await startDaemon([libraryTrack('a'), libraryTrack('b')]);
    const { daemon, decoder, last, messages, advance } = running;
    decoder('a').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 100), 1));
    decoder('a').exit(0);
    await advance(40);
    const b = decoder('b');
    daemon.handleCommand({ command: 'set-upcoming', items: [upcoming('x1', 'x'), upcoming('y1', 'y')] });
    expect(last()).toEqual({ event: 'upcoming-accepted', started: [], holding: ['x1', 'y1'], at: expect.any(String) });
    expect(b.killedWith).toEqual(['SIGKILL']);

    decoder('x').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 1000), 2));
    await advance(300); // a ends, x goes on the air and is heard; y decodes as the next
    const startedX = messages.find((m) => m.event === 'track-started' && m.track.id === 'x');
    expect(startedX).toMatchObject({ track: { play: { itemId: 'x1' } } });
    daemon.handleCommand({ command: 'set-upcoming', items: [upcoming('y1', 'y'), upcoming('z1', 'z')] });
    expect(last()).toEqual({
      event: 'upcoming-accepted',
      started: [
        { itemId: 'x1', reason: 'rotation', playlistId: 'pl-1', trackId: 'x', startedAt: (startedX as TrackStartedMessage).startedAt },
      ],
      holding: ['y1', 'z1'],
      at: expect.any(String),
    });
    daemon.handleCommand({ command: 'set-upcoming', items: [upcoming('y1', 'y')] });
    expect(last()).toMatchObject({ event: 'upcoming-accepted', started: [], holding: ['y1'] });
  });

  it('refuses an invalid set-upcoming (invalid_command) and leaves its look-ahead as it was', async () => {
    running = await startDaemon([libraryTrack('a')]);
    const { daemon, decoder, last, processes, advance } = running;
    decoder('a').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 1000), 1));
    await advance(40);
    daemon.handleCommand({ command: 'set-upcoming', items: [upcoming('x1', 'x')] });
    const x = decoder('x');
    const spawned = processes.spawned.length;
    const good = upcoming('y1', 'y');
    const bad: unknown[] = [
      'not a list',
      Array.from({ length: 11 }, (_, i) => upcoming(`i${i}`, 'y')),
      [null],
      [{ ...good, play: undefined }],
      [{ ...good, play: { ...good.play, itemId: 7 } }],
      [{ ...good, play: { ...good.play, reason: 'whim' } }],
      [{ ...good, play: { ...good.play, playlistId: 5 } }],
      [{ ...good, track: { ...good.track, title: undefined } }],
      [{ ...good, track: { ...good.track, duration: '3' } }],
      [{ ...good, path: '' }],
      [{ ...good, path: 'a\0b.mp3' }],
      [{ ...good, sound: 'loud' }],
      [{ ...good, sound: { loudness: { integratedLufs: 'x', rangeLu: 1, truePeakDbtp: -3 }, cueIn: null, cueOut: null } }],
      [{ ...good, sound: { loudness: null, cueIn: -1, cueOut: null } }],
      [good, { ...good, path: 42 }],
    ];
    for (const items of bad) {
      daemon.handleCommand({ command: 'set-upcoming', items } as never);
      expect(last()).toMatchObject({ event: 'error', code: 'invalid_command' });
    }
    expect((last() as DaemonErrorMessage).message).toBe('item 1: path must be a non-empty string (no NUL)');
    expect(processes.spawned).toHaveLength(spawned);
    expect(x.killedWith).toEqual([]);
    daemon.handleCommand({ command: 'set-upcoming', items: [upcoming('x1', 'x')] });
    expect(last()).toMatchObject({ event: 'upcoming-accepted', holding: ['x1'] });
    expect(processes.spawned).toHaveLength(spawned);
  });

  it('skip: the track ends `skipped` and the pre-decoded next one starts at the same instant, reported in that order', async () => {
    running = await startDaemon([libraryTrack('a'), libraryTrack('b')]);
    const { daemon, decoder, trackReports, advance } = running;
    decoder('a').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 2000), 1));
    await advance(100);
    decoder('b').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 2000), 2));
    await advance(100);
    daemon.handleCommand({ command: 'skip' });
    expect(decoder('a').killedWith).toEqual(['SIGKILL']);
    await advance(200);
    const reports = trackReports();
    expect(reports.map((m) => [m.event, m.track.id, m.event === 'track-ended' ? m.reason : null])).toEqual([
      ['track-started', 'a', null],
      ['track-ended', 'a', 'skipped'],
      ['track-started', 'b', null],
    ]);
    expect((reports[1] as TrackEndedMessage).endedAt).toBe((reports[2] as TrackStartedMessage).startedAt);
  });

  it('ignores a skip while another source is on the air, and tells Wave why (skip_not_playlist)', async () => {
    running = await startDaemon([libraryTrack('a'), libraryTrack('b')]);
    const { daemon, decoder, processes, last, trackReports, advance } = running;
    decoder('a').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 2000), 1));
    await advance(100);
    const url = 'rtmp://127.0.0.1:1935/live/publisher-1';
    daemon.handleCommand({ command: 'switch-source', source: 'rtmp', url, ingest: true });
    const relay = processes.spawned.find((p) => p.args.includes(url))!;
    relay.stdout.write(Buffer.alloc(bytesForMs(FORMAT, 1000), 9));
    await advance(100);
    expect(daemon.onAir).toBe('rtmp');
    const reportsBefore = trackReports().length;
    daemon.handleCommand({ command: 'skip' });
    expect(last()).toMatchObject({ event: 'error', code: 'skip_not_playlist' });
    await advance(100);
    expect(trackReports()).toHaveLength(reportsBefore);
    expect(decoder('b').killedWith).toEqual([]);
  });

  it('set-sound: the next track decodes again at its new gain; a malformed packet is refused (invalid_command)', async () => {
    running = await startDaemon([libraryTrack('a')]);
    const { daemon, decoder, last, advance } = running;
    decoder('a').stdout.write(Buffer.alloc(bytesForMs(FORMAT, 1000), 1));
    await advance(40);
    const loudness = { integratedLufs: -20, rangeLu: 2, truePeakDbtp: -12 };
    daemon.handleCommand({ command: 'set-upcoming', items: [{ ...upcoming('x1', 'x'), sound: { loudness, cueIn: 1.5, cueOut: null } }] });
    const x = decoder('x');
    expect(x.args).toEqual(expect.arrayContaining(['-ss', '1.500', 'volume=4.00dB']));
    const sound = { ...soundSettings(TELEGRAM_CONFIG_DOCUMENT.defaults()), loudnessTarget: -23 };
    for (const bad of [null, { ...sound, loudnessTarget: -5 }, { ...sound, crossfadeSec: 11 }, { ...sound, normalize: 'yes' }]) {
      daemon.handleCommand({ command: 'set-sound', sound: bad } as never);
      expect(last()).toMatchObject({ event: 'error', code: 'invalid_command' });
    }
    expect(x.killedWith).toEqual([]);
    daemon.handleCommand({ command: 'set-sound', sound });
    expect(x.killedWith).toEqual(['SIGKILL']);
    expect(decoder('x').args).toEqual(expect.arrayContaining(['-ss', '1.500', 'volume=-3.00dB']));
  });
});
