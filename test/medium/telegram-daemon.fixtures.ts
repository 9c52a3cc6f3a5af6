import { readDestinations } from '../../src/telegram/daemon/simulcast.js';
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

/** A track's sine: its frequency and amplitude (0–1 of full scale). */
export interface Tone {
  hz: number;
  amplitude: number;
}

/**
 * A DATA_DIR with `count` short tracks and a cover image. The tracks are sines: alternately quiet and loud at 440 Hz,
 * or `tones[i]` for track i (a ToneListener tells them apart by frequency).
 */
export async function makeStation(count: number, seconds: number, tones?: Tone[]): Promise<StationDir> {
  const root = await makeTempDir('tg-station');
  const dataDir = join(root, 'data');
  const logDir = join(root, 'logs');
  await mkdir(join(dataDir, 'tracks'), { recursive: true });
  const tracks: TrackLibraryFile['tracks'] = [];
  for (let i = 0; i < count; i++) {
    const file = `t${i + 1}.mp3`;
    const { hz, amplitude } = tones?.[i] ?? { hz: 440, amplitude: i % 2 === 0 ? QUIET : LOUD };
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `aevalsrc=${amplitude}*sin(2*PI*${hz}*t):s=44100:d=${seconds}`,
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
    // The local ingest and radios listen on loopback, which the daemon may reach only when allowed; no Wave runs
    // here to send a programme, so the first track does not wait for one.
    env: daemonEnvironment({ WAVE_OUTBOUND_ALLOW: '127.0.0.1', TELEGRAM_PROGRAMME_WAIT_MS: '0', ...env }),
    processes: new ProcessRepository(),
    storage,
    logger,
    report: (message) => messages.push({ receivedAt: Date.now(), message }),
    loadTracks: () => readPlaylist(station.dataDir, storage),
    loadDestinations: () => readDestinations(station.dataDir, storage),
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

/**
 * An ffmpeg reading the ingest as mono s16 PCM at 44.1 kHz, with the low-latency flags from DESIGN.md (or ffmpeg
 * buffers until the end); `onData` gets each chunk with its arrival time.
 */
function spawnIngestListener(url: string, onData: (at: number, data: Buffer) => void): ChildProcess {
  const child = spawn(
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
  child.stdout.on('data', (data: Buffer) => onData(Date.now(), data));
  return child;
}

function killListener(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
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
    this.child = spawnIngestListener(url, (at, data) => this.onData(at, data));
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
    return killListener(this.child);
  }
}

/** One 10 ms window of what a ToneListener heard. */
export interface ToneWindow {
  /** Wall-clock ms when the PCM completing this window reached the listener. */
  at: number;
  /** Where the window starts in the audio heard (ms from the listener's first sample): gaps are measured on this. */
  positionMs: number;
  /** RMS as a share of full scale (a sine of amplitude A: A/√2). */
  rms: number;
  /** Frequency from the zero crossings (±50 Hz per window); 0 when silent. */
  hz: number;
  silent: boolean;
}

/** A run of windows: silence, or one tone at one level. */
export interface ToneSegment {
  /** Arrival (wall clock) and audio position of its first window. */
  at: number;
  positionMs: number;
  ms: number;
  silent: boolean;
  /** Means over its windows. */
  hz: number;
  rms: number;
}

export interface ToneListenerOptions {
  /** Below this RMS (share of full scale) a window is silence. */
  silenceRms?: number;
}

/**
 * A listener on the ingest that records, per 10 ms window, the level and the frequency (zero crossings are enough
 * for the sines of a tone station), so a test can tell which track is heard from the audio alone, when it started,
 * and whether the air went silent in between.
 */
export class ToneListener {
  static readonly WINDOW_MS = 10;
  readonly windows: ToneWindow[] = [];
  private readonly child: ChildProcess;
  private readonly silenceRms: number;
  private pending = Buffer.alloc(0);
  private lastSample = 0;
  /** 10 ms of mono s16 at 44.1 kHz. */
  private static readonly WINDOW_BYTES = 441 * 2;

  constructor(url: string, options: ToneListenerOptions = {}) {
    this.silenceRms = options.silenceRms ?? 0.005;
    this.child = spawnIngestListener(url, (at, data) => this.onData(at, data));
  }

  get receivedAny(): boolean {
    return this.windows.length > 0;
  }

  /**
   * Runs of at least `minMs` of silence, optionally only those that overlap the wall-clock span [from, to]. The
   * listener's own start (before its first sound) is not a gap.
   */
  gaps(minMs: number, span: { from?: number; to?: number } = {}): ToneSegment[] {
    const firstSound = this.windows.findIndex((w) => !w.silent);
    if (firstSound < 0) return [];
    return this.runs(this.windows.slice(firstSound)).filter(
      (run) => run.silent && run.ms >= minMs && run.at + run.ms >= (span.from ?? -Infinity) && run.at <= (span.to ?? Infinity),
    );
  }

  /**
   * What was heard as runs of one tone (or silence), in order. Runs shorter than `minMs` (the window that straddles a
   * change) are left out, and neighbours of the same tone then merged.
   */
  segments(options: { minMs?: number; toleranceHz?: number } = {}): ToneSegment[] {
    const minMs = options.minMs ?? 50;
    const tolerance = options.toleranceHz ?? 100;
    const kept = this.runs(this.windows, tolerance).filter((run) => run.ms >= minMs);
    const merged: ToneSegment[] = [];
    for (const run of kept) {
      const previous = merged.at(-1);
      if (previous && previous.silent === run.silent && (run.silent || Math.abs(previous.hz - run.hz) <= tolerance)) {
        const ms = previous.ms + run.ms;
        previous.hz = (previous.hz * previous.ms + run.hz * run.ms) / ms;
        previous.rms = (previous.rms * previous.ms + run.rms * run.ms) / ms;
        previous.ms = run.positionMs + run.ms - previous.positionMs;
      } else merged.push({ ...run });
    }
    return merged;
  }

  /** The first window at or after `since` (wall clock) that carries `hz` (± toleranceHz). */
  firstHeard(hz: number, since: number, toleranceHz = 100): ToneWindow | undefined {
    return this.windows.find((w) => w.at >= since && !w.silent && Math.abs(w.hz - hz) <= toleranceHz);
  }

  stop(): Promise<void> {
    return killListener(this.child);
  }

  /** Consecutive windows of the same kind: silence, or a tone within `toleranceHz` of the run's first windows. */
  private runs(windows: readonly ToneWindow[], toleranceHz = 100): ToneSegment[] {
    const runs: ToneSegment[] = [];
    let run: (ToneSegment & { n: number }) | null = null;
    for (const w of windows) {
      const same = run && run.silent === w.silent && (w.silent || Math.abs(run.hz - w.hz) <= toleranceHz);
      if (run && same) {
        run.hz = (run.hz * run.n + w.hz) / (run.n + 1);
        run.rms = (run.rms * run.n + w.rms) / (run.n + 1);
        run.n += 1;
        run.ms = w.positionMs + ToneListener.WINDOW_MS - run.positionMs;
        continue;
      }
      if (run) runs.push(withoutCount(run));
      run = { at: w.at, positionMs: w.positionMs, ms: ToneListener.WINDOW_MS, silent: w.silent, hz: w.hz, rms: w.rms, n: 1 };
    }
    if (run) runs.push(withoutCount(run));
    return runs;
  }

  private onData(at: number, data: Buffer): void {
    this.pending = Buffer.concat([this.pending, data]);
    const size = ToneListener.WINDOW_BYTES;
    while (this.pending.length >= size) {
      let sum = 0;
      let crossings = 0;
      let previous = this.lastSample;
      for (let i = 0; i < size; i += 2) {
        const sample = this.pending.readInt16LE(i);
        sum += sample * sample;
        if ((previous < 0 && sample >= 0) || (previous >= 0 && sample < 0)) crossings += 1;
        previous = sample;
      }
      this.lastSample = previous;
      this.pending = this.pending.subarray(size);
      const rms = Math.sqrt(sum / (size / 2)) / 32768;
      const silent = rms < this.silenceRms;
      // Two crossings per period, over 10 ms.
      const hz = silent ? 0 : (crossings / 2) * (1000 / ToneListener.WINDOW_MS);
      this.windows.push({ at, positionMs: this.windows.length * ToneListener.WINDOW_MS, rms, hz, silent });
    }
  }
}

function withoutCount({ n: _n, ...segment }: ToneSegment & { n: number }): ToneSegment {
  return segment;
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
