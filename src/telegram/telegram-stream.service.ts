import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { redact } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { WaveEvents } from '../bus/wave-events.js';
import { Pm2ProcessEvent, Pm2ProcessInfo, Pm2ProcessMessage, Pm2Repository } from '../repositories/pm2.repository.js';
import { TrackLibrary } from '../tracks/track-library.js';
import {
  DAEMON_COMMAND_TOPIC,
  DAEMON_PROCESS_NAME,
  type ConnectionState,
  type DaemonCommand,
  type DaemonMessage,
  type DaemonSourceKind,
} from './daemon/daemon-messages.js';
import type { UpdateTelegramConfigDto } from './dto/telegram-config.dto.js';
import type { TelegramConfigUpdateResultDto } from './dto/telegram-config.dto.js';
import type { TelegramStatusDto } from './dto/telegram-status.dto.js';
import { TelegramConfigService, toConfigView } from './telegram-config.service.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { missingStartSettings, type TelegramConfigDocument } from './telegram-config.document.js';
import { telegramDaemonApp } from './telegram-daemon.app.js';
import { isRunningState } from './now-playing.js';
import { NowPlayingService } from './now-playing.service.js';
import { type DaemonReport, TelegramDaemonReport, UNKNOWN_REPORT } from './telegram-daemon-report.js';

/** Settings the daemon reads only at start. */
const RESTART_FIELDS: Array<keyof TelegramConfigDocument> = ['serverUrl', 'streamKey', 'audioBitrateKbps', 'sampleRate', 'coverImage', 'shuffle', 'loop'];

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
 * The Telegram stream: starts, stops and restarts the `telegram-stream` PM2 app (serialized, idempotent),
 * reads its state from PM2, and turns the daemon's bus reports into persisted now-playing and domain events.
 */
@Injectable()
export class TelegramStreamService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelegramStreamService.name);
  private readonly control = new Mutex();
  /** Set while Wave itself stops the daemon, so the exit is not reported as a failure. */
  private stopping = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly pm2: Pm2Repository,
    private readonly configService: TelegramConfigService,
    private readonly library: TrackLibrary,
    private readonly config: AppConfig,
    private readonly events: WaveEvents,
    private readonly sources: TelegramSourceService,
    private readonly reports: TelegramDaemonReport,
    private readonly nowPlaying: NowPlayingService,
  ) {}

  private get report(): DaemonReport {
    return this.reports.current;
  }

  private set report(report: DaemonReport) {
    this.reports.current = report;
  }

  /** Listens to the bus, and reattaches to a daemon left running by a previous Wave (no PM2 daemon is launched). */
  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe.push(
      this.pm2.onMessage((message) => this.onDaemonMessage(message)),
      this.pm2.onProcessEvent((event) => this.onProcessEvent(event)),
    );
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
    for (const off of this.unsubscribe.splice(0)) off();
  }

  async status(): Promise<TelegramStatusDto> {
    return this.toStatus(await this.describeDaemon());
  }

  /** A small view of the daemon for monitoring. */
  async daemonState(): Promise<TelegramDaemonState> {
    const daemon = await this.describeDaemon();
    const running = !!daemon && isRunningState(daemon.status);
    return {
      state: daemon?.status ?? 'not_started',
      running,
      pid: daemon?.pid ?? null,
      connection: running ? this.report.connection : 'stopped',
      source: running ? (this.report.source?.kind ?? null) : null,
      restarts: daemon?.restarts ?? 0,
      reconnects: running ? (this.report.stats?.reconnects ?? 0) : 0,
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
      this.stopping = true;
      try {
        await this.pm2.stop(DAEMON_PROCESS_NAME);
      } finally {
        this.stopping = false;
      }
      await this.daemonGone('stopped by request');
      return this.toStatus(await this.describeDaemon());
    });
  }

  /** Restarts a running daemon (PM2 counts it), or starts a stopped one. */
  restart(): Promise<TelegramStatusDto> {
    return this.control.runExclusive(async () => {
      await this.assertStartable();
      const current = await this.describeDaemon();
      if (!current || !isRunningState(current.status)) return this.toStatus(await this.launch(current));
      this.stopping = true;
      try {
        await this.pm2.restart(DAEMON_PROCESS_NAME);
      } finally {
        this.stopping = false;
      }
      this.report = { ...UNKNOWN_REPORT };
      const restarted = await this.describeDaemon();
      this.emitStatus(restarted, 'restarted by request');
      return this.toStatus(restarted);
    });
  }

  /**
   * Saves the config. While the daemon runs, a source change goes on the air at once (same connection;
   * after the DJ hands back when a live takeover holds the air); other changes are read at the next
   * start, which the result says.
   */
  async updateConfig(changes: UpdateTelegramConfigDto): Promise<TelegramConfigUpdateResultDto> {
    const { before, after } = await this.configService.update(changes);
    const daemon = await this.describeDaemon();
    const running = !!daemon && isRunningState(daemon.status);
    const sourceChanged = (['source', 'radioUrl', 'relayUrl', 'liveTakeover'] as const).some((field) => before[field] !== after[field]);
    const switched = running && sourceChanged ? await this.sources.sourceConfigured() : true;
    // A source switch the daemon could not be told of (PM2 failing; logged) is read at its next start.
    const restartRequired = running && (!switched || RESTART_FIELDS.some((field) => before[field] !== after[field]));
    return { ...toConfigView(after), restartRequired };
  }

  /** PM2's view of the daemon; its answer is the one rule's word on whether the daemon runs (now playing). */
  private async describeDaemon(): Promise<Pm2ProcessInfo | null> {
    const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
    this.nowPlaying.daemonRunning(isRunningState(daemon?.status));
    return daemon;
  }

  private async send(daemon: Pm2ProcessInfo, command: DaemonCommand): Promise<void> {
    await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, command);
  }

  /** 400 naming what is missing, 409 when the playlist it would play is empty. */
  private async assertStartable(): Promise<void> {
    const config = await this.configService.read();
    const missing = missingStartSettings(config);
    if (missing.length > 0) {
      throw new WaveError(
        400,
        'telegram_not_configured',
        missing.map((field) => `${field} is not set: PUT /api/stream/telegram/config first`),
      );
    }
    if (config.source === 'playlist') {
      if ((await this.library.trackCount()) === 0) throw new WaveError(409, 'playlist_empty', 'The playlist has no tracks: add tracks (POST /api/tracks) or choose another source');
    }
  }

  /** Starts the daemon afresh from ecosystem.config.js (a stopped leftover is replaced, so its definition is current). */
  private async launch(leftover: Pm2ProcessInfo | null): Promise<Pm2ProcessInfo> {
    const app = await telegramDaemonApp(this.config);
    if (leftover) await this.pm2.delete(DAEMON_PROCESS_NAME);
    this.report = { ...UNKNOWN_REPORT };
    const started = await this.pm2.start(app);
    this.logger.log(`started ${DAEMON_PROCESS_NAME} (pid ${started.pid})`);
    this.emitStatus(started, 'started by request');
    return started;
  }

  private toStatus(daemon: Pm2ProcessInfo | null): TelegramStatusDto {
    const running = !!daemon && isRunningState(daemon.status);
    const report = running ? this.report : { ...UNKNOWN_REPORT, connection: 'stopped' as const };
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
        ? { bitrateKbps: stats.bitrateKbps, bytesSent: stats.bytesSent, connectedSec: stats.connectedSec, reconnects: stats.reconnects, silenceMs: stats.silenceMs, at: stats.at }
        : null,
      lastError: report.lastError,
      reportedAt: report.reportedAt,
    };
  }

  private onDaemonMessage(message: Pm2ProcessMessage): void {
    if (message.processName !== DAEMON_PROCESS_NAME || !isDaemonMessage(message.data)) return;
    this.handleReport(message.data).catch((error: unknown) =>
      this.logger.error({ message: `could not handle the daemon's ${(message.data as DaemonMessage).event} report`, error }),
    );
  }

  private async handleReport(message: DaemonMessage): Promise<void> {
    const at = new Date().toISOString();
    this.report.reportedAt = at;
    switch (message.event) {
      case 'daemon-started':
        this.report = { ...UNKNOWN_REPORT, connection: 'connecting', source: { kind: message.source, label: message.source }, reportedAt: at };
        this.emitStatus(null, 'daemon started', message.pid);
        await this.sources.daemonStarted();
        break;
      case 'connection':
        this.report.connection = message.state;
        this.emitStatus(null, message.reason ? redact(message.reason) : `connection ${message.state}`);
        break;
      case 'source-changed': {
        const previous = this.report.source?.kind ?? null;
        this.report.source = { kind: message.source, label: redact(message.label) };
        const live = message.source === 'rtmp';
        this.events.emit('telegram.source', { source: message.source, previous, label: this.report.source.label, live, at: message.at });
        this.emitStatus(null, live ? 'DJ on air' : `source ${message.source}`);
        break;
      }
      case 'stats': {
        this.report.stats = message;
        // Connection reports come as they happen; stats also tell a freshly restarted Wave where the daemon stands.
        if (message.connected) this.report.connection = 'connected';
        else if (this.report.connection === 'connected' || this.report.connection === 'unknown') this.report.connection = 'reconnecting';
        const { event: _event, ...stats } = message;
        this.events.emit('telegram.stats', stats);
        break;
      }
      case 'track-started':
        this.nowPlaying.trackStarted(message);
        break;
      case 'track-ended':
        this.nowPlaying.trackEnded(message.track.id);
        break;
      case 'error': {
        const error = { code: message.code, message: redact(message.message), at: message.at };
        this.report.lastError = error;
        this.logger.warn(`${DAEMON_PROCESS_NAME} reported ${error.code}: ${error.message}`);
        this.events.emit('telegram.error', error);
        break;
      }
      case 'daemon-stopped':
        await this.daemonGone(redact(message.reason));
        break;
    }
  }

  private onProcessEvent(event: Pm2ProcessEvent): void {
    if (event.processName !== DAEMON_PROCESS_NAME) return;
    if (event.event !== 'exit' && event.event !== 'stop' && event.event !== 'delete') return;
    // Exit code 0 is the daemon ending by itself (a playlist without loop played out): a normal stop.
    if (event.event === 'exit' && !this.stopping && event.status !== 'stopping' && event.exitCode !== 0) {
      const error = { code: 'daemon_exited', message: `${DAEMON_PROCESS_NAME} exited (PM2 state ${event.status ?? 'unknown'})`, at: new Date().toISOString() };
      this.report.lastError = error;
      this.events.emit('telegram.error', error);
    }
    this.daemonGone(event.exitCode === 0 ? `${DAEMON_PROCESS_NAME} ended by itself (exit code 0)` : `PM2 ${event.event}`).catch((error: unknown) => this.logger.error({ message: 'could not record the daemon stop', error }));
  }

  /** The daemon is not running any more: nothing is playing and nothing is connected. */
  private async daemonGone(reason: string): Promise<void> {
    const wasUp = this.report.connection !== 'stopped';
    this.report.connection = 'stopped';
    this.report.stats = null;
    this.nowPlaying.daemonRunning(false);
    if (wasUp) this.emitStatus(null, reason, null, 'stopped');
  }

  private emitStatus(daemon: Pm2ProcessInfo | null, reason: string, pid: number | null = daemon?.pid ?? null, state?: string): void {
    this.events.emit('telegram.status', {
      state: state ?? daemon?.status ?? 'online',
      connection: this.report.connection,
      pid,
      source: this.report.source?.kind ?? null,
      reason,
      at: new Date().toISOString(),
    });
  }
}

function isDaemonMessage(data: unknown): data is DaemonMessage {
  return !!data && typeof data === 'object' && typeof (data as { event?: unknown }).event === 'string';
}
