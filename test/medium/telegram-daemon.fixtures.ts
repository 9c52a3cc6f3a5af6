import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ProcessRepository } from '../../src/repositories/process.repository.js';
import { StorageRepository } from '../../src/repositories/storage.repository.js';
import { expect } from 'vitest';
import type { RtmpIngest } from '../env/rtmp-ingest.js';
import type { DaemonMessage, TrackStartedMessage } from '../../src/contracts/daemon-messages.js';
import { daemonEnvironment, readPlaylist, readTelegramConfig, tracksDir } from '../../src/telegram/daemon/daemon-settings.js';
import { DaemonLogger, TelegramStreamDaemon } from '../../src/telegram/daemon/telegram-stream-daemon.js';
import type { TelegramConfigDocument } from '../../src/telegram/telegram-config.document.js';
import { TELEGRAM_CONFIG_DOCUMENT } from '../../src/telegram/telegram-config.document.js';
import { TRACK_LIBRARY_FILE, type TrackLibraryFile } from '../../src/contracts/track-library.js';
import { makeTempDir } from '../env/index.js';
import { waitUntil } from '../env/wait.js';
import { makeCover } from '../env/media.js';

const run = promisify(execFile);

/** Quiet and loud tracks alternate, so a listener can tell where one ends from the level alone. */
export const QUIET = 0.03;
export const LOUD = 0.5;

export interface StationDir {
  dataDir: string;
  logDir: string;
}

/** A DATA_DIR with `count` short tracks (alternately quiet and loud sines) and a cover image. */
export async function makeStation(count: number, seconds: number): Promise<StationDir> {
  const root = await makeTempDir('tg-station');
  const dataDir = join(root, 'data');
  const logDir = join(root, 'logs');
  await mkdir(join(dataDir, 'tracks'), { recursive: true });
  const tracks: TrackLibraryFile['tracks'] = [];
  for (let i = 0; i < count; i++) {
    const file = `t${i + 1}.mp3`;
    const amplitude = i % 2 === 0 ? QUIET : LOUD;
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `aevalsrc=${amplitude}*sin(2*PI*440*t):s=44100:d=${seconds}`,
      '-ac',
      '2',
      '-b:a',
      '128k',
      join(dataDir, 'tracks', file),
    ]);
    tracks.push({
      id: `track-${i + 1}`,
      title: `Track ${i + 1}`,
      artist: 'Test Artist',
      album: '',
      genre: '',
      tags: [],
      path: file,
      duration: seconds,
      addedAt: new Date().toISOString(),
    });
  }
  await writeFile(join(dataDir, TRACK_LIBRARY_FILE), JSON.stringify({ tracks } satisfies TrackLibraryFile, null, 2));
  await makeCover(join(dataDir, 'cover.png'));
  return { dataDir, logDir };
}

export async function writeTelegramConfig(dataDir: string, config: Partial<TelegramConfigDocument>): Promise<void> {
  await writeFile(
    join(dataDir, 'telegram-config.json'),
    JSON.stringify({ ...TELEGRAM_CONFIG_DOCUMENT.defaults(), coverImage: 'cover.png', ...config }, null, 2),
  );
}

export interface ReceivedMessage {
  receivedAt: number;
  message: DaemonMessage;
}

export interface RunningDaemon {
  daemon: TelegramStreamDaemon;
  messages: ReceivedMessage[];
  logLines: string[];
  tracksStarted(): Array<TrackStartedMessage & { receivedAt: number }>;
  stop(): Promise<void>;
}

/** Runs the daemon in this process exactly as the PM2 entry does, collecting its reports. */
export async function runDaemon(station: StationDir, env: Record<string, string> = {}): Promise<RunningDaemon> {
  const storage = new StorageRepository();
  const config = await readTelegramConfig(station.dataDir, storage);
  const messages: ReceivedMessage[] = [];
  const logLines: string[] = [];
  const log = (level: string) => (message: string) => void logLines.push(`${level}: ${message}`);
  const logger: DaemonLogger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') };
  const daemon = new TelegramStreamDaemon({
    config,
    // The local ingest and radios listen on loopback, which the daemon may reach only when allowed.
    env: daemonEnvironment({ WAVE_OUTBOUND_ALLOW: '127.0.0.1', ...env }),
    processes: new ProcessRepository(),
    storage,
    logger,
    report: (message) => messages.push({ receivedAt: Date.now(), message }),
    loadTracks: () => readPlaylist(station.dataDir, storage),
    tracksDir: tracksDir(station.dataDir),
    coverImage: join(station.dataDir, config.coverImage),
    cacheDir: join(station.dataDir, 'cache'),
    statsIntervalMs: 1000,
  });
  await daemon.start();
  return {
    daemon,
    messages,
    logLines,
    tracksStarted: () =>
      messages.flatMap(({ receivedAt, message }) => (message.event === 'track-started' ? [{ ...message, receivedAt }] : [])),
    stop: () => daemon.stop('test done'),
  };
}

export interface LevelChange {
  /** Wall-clock ms when the first PCM of the new level reached the listener. */
  at: number;
  loud: boolean;
}

/**
 * A listener on the ingest (the low-latency flags from DESIGN.md, or ffmpeg buffers until the end) that
 * timestamps each arriving PCM chunk and reports where the level flips between quiet and loud.
 */
export class LevelListener {
  readonly changes: LevelChange[] = [];
  private readonly child: ChildProcess;
  private loud: boolean | null = null;
  private pending = Buffer.alloc(0);
  /** 10 ms of mono s16 at 44.1 kHz. */
  private static readonly WINDOW = 441 * 2;

  constructor(url: string) {
    this.child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-fflags',
        'nobuffer',
        '-probesize',
        '32768',
        '-analyzeduration',
        '0',
        '-rw_timeout',
        '5000000',
        '-i',
        url,
        '-vn',
        '-f',
        's16le',
        '-ar',
        '44100',
        '-ac',
        '1',
        '-flush_packets',
        '1',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.child.stdout!.on('data', (data: Buffer) => this.onData(Date.now(), data));
  }

  get receivedAny(): boolean {
    return this.loud !== null;
  }

  private onData(at: number, data: Buffer): void {
    this.pending = Buffer.concat([this.pending, data]);
    const threshold = ((QUIET + LOUD) / 2) * 32767 * Math.SQRT1_2;
    while (this.pending.length >= LevelListener.WINDOW) {
      let sum = 0;
      for (let i = 0; i < LevelListener.WINDOW; i += 2) sum += this.pending.readInt16LE(i) ** 2;
      this.pending = this.pending.subarray(LevelListener.WINDOW);
      const rms = Math.sqrt(sum / (LevelListener.WINDOW / 2));
      if (rms < 0.01 * 32767) continue; // silence between sources is neither
      const loud = rms > threshold;
      if (loud !== this.loud) {
        if (this.loud !== null) this.changes.push({ at, loud });
        this.loud = loud;
      }
    }
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

/**
 * Listens on the ingest until `changes` track changes were heard, and checks that each was reported
 * (startedAt, and the report itself) within 1 s of when its audio arrived.
 */
export async function expectNowPlayingMatchesAudio(
  ingest: RtmpIngest,
  streamKey: string,
  daemon: RunningDaemon,
  changes: number,
  trackSeconds: number,
): Promise<void> {
  const listener = new LevelListener(`${ingest.rtmpUrl('s')}${streamKey}`);
  try {
    await waitUntil(() => listener.receivedAny, 10_000, 'the listener to hear the stream');
    const changesBefore = listener.changes.length;
    await waitUntil(
      () => listener.changes.length - changesBefore >= changes,
      (changes + 2) * trackSeconds * 1000,
      `${changes} heard track changes`,
    );
    // A report may come up to 1 s after its audio: wait for one near each heard change (the deltas are checked below).
    const heard = listener.changes.slice(changesBefore);
    await waitUntil(
      () => heard.every((change) => daemon.tracksStarted().some((r) => Math.abs(Date.parse(r.startedAt) - change.at) <= 1000)),
      2000,
      'a report for each heard change',
    ).catch(() => undefined);
    const offsets = listener.changes.slice(changesBefore).map((change) => {
      const [nearest] = daemon
        .tracksStarted()
        .map((report) => ({ report, delta: Date.parse(report.startedAt) - change.at }))
        .sort((a, b) => Math.abs(a.delta) - Math.abs(b.delta));
      expect(nearest, 'a track-started report for a heard change').toBeDefined();
      return { startedAtDelta: nearest.delta, reportDelta: nearest.report.receivedAt - change.at };
    });
    console.info(
      `[telegram] now playing − heard (ms): ${offsets.map((o) => `startedAt ${o.startedAtDelta}, report ${o.reportDelta}`).join('; ')}`,
    );
    for (const o of offsets) {
      expect(Math.abs(o.startedAtDelta)).toBeLessThanOrEqual(1000);
      expect(Math.abs(o.reportDelta)).toBeLessThanOrEqual(1000);
    }
  } finally {
    await listener.stop();
  }
}
