import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WaveEvents } from '../bus/wave-events.js';
import { redact } from '../common/redaction.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { Pm2ProcessInfo, Pm2ProcessMessage, Pm2Repository } from '../repositories/pm2.repository.js';
import {
  DAEMON_PROCESS_NAME,
  type ConnectionMessage,
  type ConnectionState,
  type DaemonErrorMessage,
  type DaemonMessage,
  type DaemonSourceKind,
  type DaemonStartedMessage,
  type DestinationStateMessage,
  type SourceChangedMessage,
  type StatsMessage,
} from '../contracts/daemon-messages.js';
import { TELEGRAM_DESTINATION_ID, TELEGRAM_DESTINATION_NAME } from '../contracts/destinations.js';
import { DESTINATIONS_DOCUMENT } from './destinations.document.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { NowPlayingService } from './now-playing.service.js';

/** What the daemon last reported over PM2's bus (its own facts, which PM2 does not hold). */
export interface DaemonReport {
  connection: ConnectionState | 'unknown';
  source: { kind: DaemonSourceKind; label: string } | null;
  stats: StatsMessage | null;
  lastError: DaemonError | null;
  reportedAt: string | null;
}

export interface DaemonError {
  code: string;
  message: string;
  at: string;
}

export const UNKNOWN_REPORT: Readonly<DaemonReport> = {
  connection: 'unknown',
  source: null,
  stats: null,
  lastError: null,
  reportedAt: null,
};

/**
 * The daemon's reports over PM2's bus, and the one copy of them in Wave. Each report updates the copy and
 * becomes a domain event (`telegram.status`, `telegram.source`, `telegram.stats`, `telegram.error`,
 * `telegram.daemon.started`); track reports go to now playing's owner. The lifecycle tells it what Wave
 * itself did to the daemon (launched, gone, crashed). Others read copies (view, onAir), never the copy itself.
 * Only the leader follows the bus: the reports become events (now playing, history, webhooks) once per station.
 */
@Injectable()
export class TelegramReportListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelegramReportListener.name);
  private report: DaemonReport = { ...UNKNOWN_REPORT };
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly pm2: Pm2Repository,
    private readonly events: WaveEvents,
    private readonly nowPlaying: NowPlayingService,
    private readonly store: DocumentStore,
    private readonly leadership: LeadershipService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.leadership.whileLeading(
      "the Telegram daemon's reports",
      () => {
        this.unsubscribe ??= this.pm2.onMessage((message) => this.received(message));
      },
      () => this.onModuleDestroy(),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** What the daemon reports on the air; null before its first report (e.g. a Wave restarted mid-show). */
  get onAir(): DaemonSourceKind | null {
    return this.report.source?.kind ?? null;
  }

  /** A copy of what the daemon last reported. */
  view(): DaemonReport {
    return structuredClone(this.report);
  }

  /** Wave starts or restarted the daemon: nothing the one before reported holds. */
  forget(): void {
    this.report = { ...UNKNOWN_REPORT };
  }

  /** Wave started or restarted the daemon (PM2's view of it once it did). */
  launched(daemon: Pm2ProcessInfo | null, reason: string): void {
    this.announce(reason, daemon?.pid ?? null, daemon?.status ?? 'online');
  }

  /** The daemon exited without being asked to. */
  crashed(error: DaemonError): void {
    this.report.lastError = error;
    this.events.emit('telegram.error', error);
  }

  /** The daemon is not running any more: nothing is playing and nothing is connected. */
  gone(reason: string): void {
    const wasUp = this.report.connection !== 'stopped';
    this.report.connection = 'stopped';
    this.report.stats = null;
    this.nowPlaying.daemonRunning(false);
    if (wasUp) this.announce(reason, null, 'stopped');
  }

  private received(message: Pm2ProcessMessage): void {
    if (message.processName !== DAEMON_PROCESS_NAME || !isDaemonMessage(message.data)) return;
    const report = message.data;
    this.report.reportedAt = new Date().toISOString();
    switch (report.event) {
      case 'daemon-started':
        return this.daemonStarted(report);
      case 'connection':
        return this.connectionChanged(report);
      case 'source-changed':
        return this.sourceChanged(report);
      case 'stats':
        return this.statsReported(report);
      case 'track-started':
        return this.nowPlaying.trackStarted(report);
      case 'track-ended':
        return this.nowPlaying.trackEnded(report.track.id, report.endedAt, report.reason);
      case 'error':
        return this.errorReported(report);
      case 'daemon-stopped':
        return this.gone(redact(report.reason));
      case 'destination-state':
        return void this.destinationState(report);
      case 'upcoming-accepted': {
        const { event: _event, ...accepted } = report;
        return this.events.emit('telegram.upcoming.accepted', accepted);
      }
    }
  }

  private daemonStarted(report: DaemonStartedMessage): void {
    this.report = {
      ...UNKNOWN_REPORT,
      connection: 'connecting',
      source: { kind: report.source, label: report.source },
      reportedAt: this.report.reportedAt,
    };
    this.announce('daemon started', report.pid);
    this.events.emit('telegram.daemon.started', { pid: report.pid, source: report.source, at: report.at });
  }

  private connectionChanged(report: ConnectionMessage): void {
    this.report.connection = report.state;
    this.announce(report.reason ? redact(report.reason) : `connection ${report.state}`);
  }

  private sourceChanged(report: SourceChangedMessage): void {
    const previous = this.onAir;
    this.report.source = { kind: report.source, label: redact(report.label) };
    const live = report.source === 'rtmp';
    this.events.emit('telegram.source', { source: report.source, previous, label: this.report.source.label, live, at: report.at });
    this.announce(live ? 'DJ on air' : `source ${report.source}`);
  }

  private statsReported(report: StatsMessage): void {
    this.report.stats = report;
    // Connection reports come as they happen; stats also tell a freshly restarted Wave where the daemon stands.
    if (report.connected) this.report.connection = 'connected';
    else if (this.report.connection === 'connected' || this.report.connection === 'unknown') this.report.connection = 'reconnecting';
    // A Wave that took the lead while the daemon ran has not heard its last source-changed.
    if (!this.report.source && report.onAir) this.report.source = { kind: report.onAir.source, label: redact(report.onAir.label) };
    const { event: _event, onAir: _onAir, ...stats } = report;
    this.events.emit('telegram.stats', stats);
  }

  /** `stream.destination.state`, with the destination's name (from the destinations document; the daemon sends ids only). */
  private async destinationState(report: DestinationStateMessage): Promise<void> {
    const destination = {
      ...report.destination,
      lastError: report.destination.lastError
        ? { ...report.destination.lastError, message: redact(report.destination.lastError.message) }
        : null,
    };
    let name = destination.id;
    if (destination.id === TELEGRAM_DESTINATION_ID) name = TELEGRAM_DESTINATION_NAME;
    else {
      try {
        const stored = await this.store.read(DESTINATIONS_DOCUMENT);
        name = stored.destinations.find((d) => d.id === destination.id)?.name ?? destination.id;
      } catch (error) {
        this.logger.warn(`could not read the destinations' names: ${(error as Error).message}`);
      }
    }
    this.events.emit('stream.destination.state', { destination, name, previous: report.previous, at: report.at });
  }

  private errorReported(report: DaemonErrorMessage): void {
    const error = { code: report.code, message: redact(report.message), at: report.at };
    this.report.lastError = error;
    this.logger.warn(`${DAEMON_PROCESS_NAME} reported ${error.code}: ${error.message}`);
    this.events.emit('telegram.error', error);
  }

  /** `telegram.status`: the daemon's lifecycle or connection changed (`state` is PM2's, `online` when a report says so). */
  private announce(reason: string, pid: number | null = null, state = 'online'): void {
    this.events.emit('telegram.status', {
      state,
      connection: this.report.connection,
      pid,
      source: this.onAir,
      reason,
      at: new Date().toISOString(),
    });
  }
}

function isDaemonMessage(data: unknown): data is DaemonMessage {
  return !!data && typeof data === 'object' && typeof (data as { event?: unknown }).event === 'string';
}
