import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { isAbsolute, join } from 'node:path';
import { WaveEvents, type WaveEventMap } from '../../bus/wave-events.js';
import { AppConfig } from '../../config/app-config.js';
import { LeadershipService } from '../../leadership/leadership.service.js';
import type { AnalysisProgress } from '../../contracts/socket-events.js';
import { TRACKS_DIR } from '../../contracts/track-library.js';
import { AudioAnalysisError, AudioAnalysisRepository } from '../../repositories/audio-analysis.repository.js';
import { TrackRepository, type StoredTrack, type TrackToAnalyse } from '../../repositories/track.repository.js';
import { analysisFilter, analysisOutcome, DEFAULT_SILENCE_THRESHOLD_DB, type AnalysisOutcome } from './audio-analysis.js';

/** Tracks read from the database per query of the job. */
const BATCH = 50;
/** After boot, the job waits this long before it measures what the library has not measured (the server comes up first). */
export const BOOT_DELAY_MS = 2_000;
/** An analysis may take this long plus a quarter of the track's length (ffmpeg decodes at 20–80× real time on 2 cores). */
const BASE_TIMEOUT_MS = 60_000;
const MIN_SPEED = 4;
/** Results are raised as one `tracks.updated` at most this often (each makes the snapshot and the programme read the library). */
const UPDATE_EVERY_MS = 2_000;
/** Progress goes out at most this often while the job runs. */
const PROGRESS_EVERY_MS = 500;

export type TrackAnalysisStatus = 'pending' | 'running' | 'analysed' | 'failed';

/**
 * The library's loudness analysis (issue 14): one ffmpeg pass per track (AudioAnalysisRepository) measures its EBU
 * R128 loudness and the silence at its ends, one track at a time at a low priority (the stream's encoder shares 2
 * cores). It measures what enters the library (`tracks.updated`, added or changed) and, shortly after boot, every
 * track not measured at the current silence threshold; a new threshold (`sound.settings`) measures them all again.
 * A failure (silent, unreadable, timed out) is recorded, so it is not retried until the file or the threshold changes.
 * Results are stored like any edit and raised as `tracks.updated` (batched), so the snapshot and the programme follow.
 * Two instances on one database may measure a track twice: each writes the same values.
 */
@Injectable()
export class TrackAnalysisService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TrackAnalysisService.name);
  private readonly tracksDir: string;
  private thresholdDb: number | null = null;
  private loop: Promise<void> | null = null;
  /** Another run was asked for while one ran (new tracks, a new threshold): the loop goes round again. */
  private again = false;
  private current: string | null = null;
  private running = false;
  private closed = false;
  private bootTimer: NodeJS.Timeout | null = null;
  /** Tracks whose result is stored but not raised yet, and when results and progress last went out. */
  private readonly unannounced = new Set<string>();
  private lastAnnounced = 0;
  private lastProgress = 0;
  /** Set while this service raises `tracks.updated`, so its own results do not ask for another run. */
  private announcing = false;

  constructor(
    private readonly tracks: TrackRepository,
    private readonly analysis: AudioAnalysisRepository,
    private readonly events: WaveEvents,
    config: AppConfig,
    private readonly leadership: LeadershipService,
  ) {
    this.tracksDir = join(config.dataDir, TRACKS_DIR);
  }

  /** The leader measures (one instance, not each): from boot, or from when it takes the lead. */
  async onApplicationBootstrap(): Promise<void> {
    await this.leadership.whileLeading(
      'the loudness analysis',
      (takenOver) => {
        if (takenOver) return this.request();
        this.bootTimer = setTimeout(() => {
          this.bootTimer = null;
          this.request();
        }, BOOT_DELAY_MS);
        this.bootTimer.unref();
      },
      () => undefined,
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.bootTimer) clearTimeout(this.bootTimer);
    await this.loop;
  }

  /** The silence threshold cues are detected at (the default until the Telegram config says otherwise). */
  threshold(): number {
    return this.thresholdDb ?? DEFAULT_SILENCE_THRESHOLD_DB;
  }

  @OnEvent('sound.settings')
  soundSettings({ silenceThresholdDb }: WaveEventMap['sound.settings']): void {
    if (silenceThresholdDb === this.thresholdDb) return;
    this.thresholdDb = silenceThresholdDb;
    // The settings known (at boot, or changed): the boot run need not wait any longer.
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = null;
    this.request();
  }

  @OnEvent('tracks.updated')
  tracksUpdated({ reason }: WaveEventMap['tracks.updated']): void {
    if (this.announcing || reason === 'deleted' || reason === 'reordered') return;
    this.request();
  }

  /** Measures what is to be measured, unless the job already runs (then it looks again when done). */
  request(): void {
    if (this.closed || !this.leadership.isLeader) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.running = true;
    this.loop = this.runWhileAsked().finally(() => {
      this.loop = null;
    });
  }

  /** Resolves when the job is idle (specs; shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  async progress(): Promise<AnalysisProgress> {
    const thresholdDb = this.threshold();
    const counts = await this.tracks.analysisCounts(thresholdDb);
    return { ...counts, running: this.running, currentTrackId: this.current, thresholdDb, at: new Date().toISOString() };
  }

  /** Where a stored track's analysis stands at the current threshold. */
  statusOf(track: StoredTrack): TrackAnalysisStatus {
    if (track.id === this.current) return 'running';
    if (track.sound.analysedAt === null || track.sound.thresholdDb !== this.threshold()) return 'pending';
    return track.sound.error === null ? 'analysed' : 'failed';
  }

  private async runWhileAsked(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.runOnce();
      } while (this.again && !this.closed);
    } catch (error) {
      // The database is away, or ffmpeg is missing: the next change (or boot) asks again.
      this.logger.warn(`loudness analysis stopped: ${(error as Error).message}`);
    } finally {
      this.current = null;
      this.running = false;
      await this.announce(true);
      await this.sendProgress(true);
    }
  }

  private async runOnce(): Promise<void> {
    const thresholdDb = this.threshold();
    let after: TrackToAnalyse | null = null;
    for (;;) {
      const batch = await this.tracks.needingAnalysis(thresholdDb, BATCH, after);
      if (batch.length === 0) return;
      for (const track of batch) {
        // Stopping, or a new threshold: the loop starts over at it (again is set by the change).
        if (this.closed || thresholdDb !== this.threshold()) return;
        await this.measure(track, thresholdDb);
        after = track;
      }
    }
  }

  private async measure(track: TrackToAnalyse, thresholdDb: number): Promise<void> {
    this.current = track.id;
    await this.sendProgress(false);
    const outcome = await this.analyse(track, thresholdDb);
    const at = new Date().toISOString();
    const stored = outcome.ok
      ? await this.tracks.recordAnalysis(track, { ...outcome.measurement, thresholdDb }, at)
      : await this.tracks.recordAnalysisFailure(track, outcome.code, thresholdDb, at);
    if (!outcome.ok) this.logger.warn(`track ${track.id} (${track.path}) could not be measured: ${outcome.code}`);
    this.current = null;
    // Not stored: the file changed meanwhile, and is measured again as a changed file.
    if (stored) this.unannounced.add(track.id);
    await this.announce(false);
  }

  private async analyse(track: TrackToAnalyse, thresholdDb: number): Promise<AnalysisOutcome> {
    const file = isAbsolute(track.path) ? track.path : join(this.tracksDir, track.path);
    const timeoutMs = Math.ceil(BASE_TIMEOUT_MS + (track.duration * 1000) / MIN_SPEED);
    try {
      return analysisOutcome(await this.analysis.analyse(file, analysisFilter(thresholdDb), timeoutMs), track.duration);
    } catch (error) {
      if (!(error instanceof AudioAnalysisError)) throw error;
      // Not the file's fault: nothing is recorded, and the job stops until asked again.
      if (error.code === 'ffmpeg_missing') throw error;
      return { ok: false, code: error.code };
    }
  }

  /** Raises the stored results as one `tracks.updated`, when UPDATE_EVERY_MS passed since the last (or `now`). */
  private async announce(now: boolean): Promise<void> {
    if (this.unannounced.size === 0 || (!now && Date.now() - this.lastAnnounced < UPDATE_EVERY_MS)) return;
    const trackIds = [...this.unannounced];
    this.unannounced.clear();
    this.lastAnnounced = Date.now();
    const count = await this.tracks.count().catch(() => -1);
    this.announcing = true;
    try {
      this.events.emit('tracks.updated', { reason: 'updated', trackIds, count, at: new Date().toISOString() });
    } finally {
      this.announcing = false;
    }
  }

  private async sendProgress(now: boolean): Promise<void> {
    if (!now && Date.now() - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.lastProgress = Date.now();
    try {
      this.events.emit('tracks.analysis.progress', await this.progress());
    } catch (error) {
      this.logger.warn(`could not count the analysis' progress: ${(error as Error).message}`);
    }
  }
}
