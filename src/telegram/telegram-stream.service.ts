import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { LeadershipService } from '../leadership/leadership.service.js';
import { Mutex } from 'async-mutex';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { Pm2ProcessEvent, Pm2ProcessInfo, Pm2Repository } from '../repositories/pm2.repository.js';
import { TrackLibrary } from '../tracks/track-library.js';
import {
  DAEMON_COMMAND_TOPIC,
  DAEMON_PROCESS_NAME,
  type ConnectionState,
  type DaemonSourceKind,
  type SoundSettings,
} from '../contracts/daemon-messages.js';
import type { NowPlaying } from '../contracts/socket-events.js';
import type { TelegramStatusDto } from './dto/telegram-status.dto.js';
import { isRunningState } from './now-playing.js';
import { NowPlayingService } from './now-playing.service.js';
import { missingStartSettings } from './telegram-config.document.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { telegramDaemonApp } from './telegram-daemon.app.js';
import { TelegramReportListener, UNKNOWN_REPORT } from './telegram-report.listener.js';

/** The daemon's state in one small object, for monitoring and health. */
export interface TelegramDaemonState {
  state: string;
  running: boolean;
  pid: number | null;
  connection: ConnectionState | 'unknown';
  source: DaemonSourceKind | null;
  restarts: number;
  reconnects: number;
}

/**
 * The Telegram stream's lifecycle and status: starts, stops and restarts the `telegram-stream` PM2 app
 * (serialized, idempotent), reads its state from PM2 and joins it with what the daemon last reported
 * (TelegramReportListener) and now playing (NowPlayingService). Every PM2 answer is now playing's word
 * on whether the daemon runs.
 */
@Injectable()
export class TelegramStreamService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelegramStreamService.name);
  private readonly control = new Mutex();
  /** Set while Wave itself stops the daemon, so the exit is not reported as a failure. */
  private stopping = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly pm2: Pm2Repository,
    private readonly configs: TelegramConfigService,
    private readonly library: TrackLibrary,
    private readonly config: AppConfig,
    private readonly reports: TelegramReportListener,
    private readonly nowPlaying: NowPlayingService,
    private readonly leadership: LeadershipService,
  ) {}

  /**
   * While this instance leads: watches PM2's process events, and reattaches to a daemon left running by a previous
   * Wave or leader (no PM2 daemon is launched, the daemon is not restarted).
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.leadership.whileLeading(
      "the Telegram daemon's lifecycle",
      () => this.attach(),
      () => this.onModuleDestroy(),
    );
  }

  private async attach(): Promise<void> {
    this.unsubscribe ??= this.pm2.onProcessEvent((event) => this.onProcessEvent(event));
    try {
      if (await this.pm2.connectIfRunning()) {
        const daemon = await this.describeDaemon();
        if (daemon && isRunningState(daemon.status)) this.logger.log(`found ${DAEMON_PROCESS_NAME} running (pid ${daemon.pid})`);
      } else {
        // No PM2 daemon runs, so neither does the Telegram daemon: what now-playing.json says is over.
        this.nowPlaying.daemonRunning(false);
      }
    } catch (error) {
      this.logger.warn(`PM2 is not reachable at boot: ${(error as Error).message}`);
    }
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async status(): Promise<TelegramStatusDto> {
    return this.toStatus(await this.describeDaemon());
  }

  /** Whether PM2 has the daemon running (online or launching). */
  async running(): Promise<boolean> {
    return isRunningState((await this.describeDaemon())?.status);
  }

  /** A small view of the daemon for monitoring. */
  async daemonState(): Promise<TelegramDaemonState> {
    const daemon = await this.describeDaemon();
    const running = isRunningState(daemon?.status);
    const report = this.reports.view();
    return {
      state: daemon?.status ?? 'not_started',
      running,
      pid: daemon?.pid ?? null,
      connection: running ? report.connection : 'stopped',
      source: running ? (report.source?.kind ?? null) : null,
      restarts: daemon?.restarts ?? 0,
      reconnects: running ? (report.stats?.reconnects ?? 0) : 0,
    };
  }

  /** Starts the daemon; a running daemon is left as it is. */
  start(): Promise<TelegramStatusDto> {
    return this.control.runExclusive(async () => {
      await this.assertStartable();
      const current = await this.describeDaemon();
      if (current && isRunningState(current.status)) return this.toStatus(current);
      return this.toStatus(await this.launch(current));
    });
  }

  /** Stops the daemon (it stays in PM2's list as stopped); stopping a stopped daemon is a no-op. */
  stop(): Promise<TelegramStatusDto> {
    return this.control.runExclusive(async () => {
      const current = await this.describeDaemon();
      if (!current || !isRunningState(current.status)) return this.toStatus(current);
      await this.byRequest(() => this.pm2.stop(DAEMON_PROCESS_NAME));
      this.reports.gone('stopped by request');
      return this.toStatus(await this.describeDaemon());
    });
  }

  /** Restarts a running daemon (PM2 counts it), or starts a stopped one. */
  restart(): Promise<TelegramStatusDto> {
    return this.control.runExclusive(async () => {
      await this.assertStartable();
      const current = await this.describeDaemon();
      if (!current || !isRunningState(current.status)) return this.toStatus(await this.launch(current));
      await this.byRequest(() => this.pm2.restart(DAEMON_PROCESS_NAME));
      this.reports.forget();
      const restarted = await this.describeDaemon();
      this.reports.launched(restarted, 'restarted by request');
      return this.toStatus(restarted);
    });
  }

  /**
   * Ends the track on the air now: the daemon starts the next (decoded ahead) at once, on the same connection. 409 when
   * the daemon does not run or plays no track (a radio URL or a DJ is on the air). Answers with the track skipped
   * and what now comes; the daemon's track reports follow as usual.
   */
  skip(): Promise<{ skipped: NowPlaying | null }> {
    return this.control.runExclusive(async () => {
      const daemon = await this.describeDaemon();
      if (!daemon || daemon.status !== 'online')
        throw new WaveError(409, 'telegram_not_running', 'The Telegram stream is not running: POST /api/stream/telegram/start first');
      const onAir = this.reports.onAir;
      if (onAir !== null && onAir !== 'playlist')
        throw new WaveError(
          409,
          'not_playing_tracks',
          `The Telegram stream plays ${onAir === 'rtmp' ? 'a live DJ' : 'a radio URL'}, not a track`,
        );
      const skipped = this.nowPlaying.current();
      await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, { command: 'skip' });
      this.logger.log(`skip requested${skipped ? ` (${skipped.trackId})` : ''}`);
      return { skipped };
    });
  }

  /**
   * Hands the running daemon new sound settings (it applies them from its next track or switch). False when no daemon
   * runs or it could not be told (logged): it reads them from the config at its next start.
   */
  async applySound(sound: SoundSettings): Promise<boolean> {
    try {
      const daemon = await this.describeDaemon();
      if (!daemon || daemon.status !== 'online') return false;
      await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, { command: 'set-sound', sound });
      return true;
    } catch (error) {
      this.logger.warn(`the daemon could not be given the new sound settings: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * Tells the running daemon to re-read `stream-destinations.json` (the keys travel in the file, never here). False
   * when no daemon runs (it reads the file at its start) or it could not be told (logged).
   */
  async reloadDestinations(): Promise<boolean> {
    try {
      const daemon = await this.describeDaemon();
      if (!daemon || daemon.status !== 'online') return false;
      await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, { command: 'reload-destinations' });
      return true;
    } catch (error) {
      this.logger.warn(`the daemon could not be told to re-read the destinations: ${(error as Error).message}`);
      return false;
    }
  }

  /** PM2's view of the daemon; its answer is now playing's word on whether the daemon runs. */
  private async describeDaemon(): Promise<Pm2ProcessInfo | null> {
    const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
    this.nowPlaying.daemonRunning(isRunningState(daemon?.status));
    return daemon;
  }

  /** Wave's own stop or restart: the daemon's exit meanwhile is no failure. */
  private async byRequest(work: () => Promise<void>): Promise<void> {
    this.stopping = true;
    try {
      await work();
    } finally {
      this.stopping = false;
    }
  }

  /** 400 naming what is missing, 409 when the playlist it would play is empty. */
  private async assertStartable(): Promise<void> {
    const config = await this.configs.read();
    const missing = missingStartSettings(config);
    if (missing.length > 0) {
      throw new WaveError(
        400,
        'telegram_not_configured',
        missing.map((field) => `${field} is not set: PUT /api/stream/telegram/config first`),
      );
    }
    if (config.source === 'playlist' && (await this.library.publishPlaylist()) === 0) {
      throw new WaveError(409, 'playlist_empty', 'The playlist has no tracks: add tracks (POST /api/tracks) or choose another source');
    }
  }

  /** Starts the daemon afresh from ecosystem.config.js (a stopped leftover is replaced, so its definition is current). */
  private async launch(leftover: Pm2ProcessInfo | null): Promise<Pm2ProcessInfo> {
    const app = await telegramDaemonApp(this.config);
    if (leftover) await this.pm2.delete(DAEMON_PROCESS_NAME);
    this.reports.forget();
    const started = await this.pm2.start(app);
    this.logger.log(`started ${DAEMON_PROCESS_NAME} (pid ${started.pid})`);
    this.reports.launched(started, 'started by request');
    return started;
  }

  private toStatus(daemon: Pm2ProcessInfo | null): TelegramStatusDto {
    const running = isRunningState(daemon?.status);
    const report = running ? this.reports.view() : { ...UNKNOWN_REPORT, connection: 'stopped' as const };
    const stats = report.stats;
    return {
      state: daemon?.status ?? 'not_started',
      running,
      pid: daemon?.pid ?? null,
      uptimeSec: daemon?.startedAt ? Math.max(0, Math.round((Date.now() - daemon.startedAt) / 1000)) : null,
      restarts: daemon?.restarts ?? 0,
      memoryBytes: daemon?.memoryBytes ?? 0,
      cpuPercent: daemon?.cpuPercent ?? 0,
      connected: report.connection === 'unknown' ? null : report.connection === 'connected',
      connection: report.connection,
      source: report.source,
      live: report.source?.kind === 'rtmp',
      nowPlaying: this.nowPlaying.current(),
      stats: stats
        ? {
            bitrateKbps: stats.bitrateKbps,
            bytesSent: stats.bytesSent,
            connectedSec: stats.connectedSec,
            reconnects: stats.reconnects,
            silenceMs: stats.silenceMs,
            at: stats.at,
          }
        : null,
      lastError: report.lastError,
      reportedAt: report.reportedAt,
    };
  }

  private onProcessEvent(event: Pm2ProcessEvent): void {
    if (event.processName !== DAEMON_PROCESS_NAME) return;
    if (event.event !== 'exit' && event.event !== 'stop' && event.event !== 'delete') return;
    // Exit code 0 is the daemon ending by itself (a playlist without loop played out): a normal stop.
    if (event.event === 'exit' && !this.stopping && event.status !== 'stopping' && event.exitCode !== 0) {
      this.reports.crashed({
        code: 'daemon_exited',
        message: `${DAEMON_PROCESS_NAME} exited (PM2 state ${event.status ?? 'unknown'})`,
        at: new Date().toISOString(),
      });
    }
    this.reports.gone(event.exitCode === 0 ? `${DAEMON_PROCESS_NAME} ended by itself (exit code 0)` : `PM2 ${event.event}`);
  }
}
