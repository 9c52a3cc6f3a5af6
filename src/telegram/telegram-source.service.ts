import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Mutex } from 'async-mutex';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { DockerTimeoutError } from '../repositories/docker.repository.js';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { LiveIngest } from '../rtmp/live-ingest.js';
import { DAEMON_COMMAND_TOPIC, DAEMON_PROCESS_NAME, type DaemonCommand } from '../contracts/daemon-messages.js';
import {
  onDaemonStarted,
  onDjPublished,
  onDjUnpublished,
  onReleaseRequested,
  onSourceConfigured,
  onTakeRequested,
  overrideInForce,
  type LiveSession,
  type OverrideOutcome,
  type TakeoverContext,
  type TakeoverDecision,
} from './live-takeover.js';
import { LIVE_OVERRIDE_DOCUMENT, type LiveOverrideDocument } from './live-override.document.js';
import type { TelegramConfigDocument } from './telegram-config.document.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramReportListener } from './telegram-report.listener.js';

/**
 * What the running Telegram daemon plays: the configured source, or — with `liveTakeover` — the first
 * DJ live on Wave's RTMP ingest, until no DJ is left. Every switch is an IPC command to the daemon on
 * the same ingest connection; live inputs carry an RTMP key, so they travel only in that command (never
 * in events or logs). Who is live is read from nginx-rtmp's /stat and what is on the air from the
 * daemon's report, at each decision: nothing is remembered here.
 */
@Injectable()
export class TelegramSourceService {
  private readonly logger = new Logger(TelegramSourceService.name);
  /** Publish callbacks, config changes and daemon starts may race; decisions run one at a time. */
  private readonly decisions = new Mutex();
  /** The decision queued last: they run one at a time, in the order queued, so it is also the last to finish. */
  private latest: Promise<unknown> = Promise.resolve();
  /** When the engine last left who is live unknown by not answering (performance.now()). */
  private engineTimedOutAt = -Infinity;

  constructor(
    private readonly pm2: Pm2Repository,
    private readonly configs: TelegramConfigService,
    private readonly ingest: LiveIngest,
    private readonly reports: TelegramReportListener,
    private readonly store: DocumentStore,
    private readonly events: WaveEvents,
  ) {}

  /** POST /api/stream/live/take: the live DJ on the air even with `liveTakeover` off (409 when nobody is live). */
  take(): Promise<LiveOverrideView> {
    return this.override('take', onTakeRequested);
  }

  /** POST /api/stream/live/release: the DJ off the air, back to the programme, and off until they publish again. */
  release(): Promise<LiveOverrideView> {
    return this.override('release', onReleaseRequested);
  }

  /** The override in force as stored (a session that ended is cleared at the next decision). */
  async overrideView(): Promise<LiveOverrideView | null> {
    const stored = await this.store.read(LIVE_OVERRIDE_DOCUMENT);
    return stored.action === 'none' ? null : { action: stored.action, publisherId: stored.publisherId, at: stored.at ?? '' };
  }

  private async override(action: 'take' | 'release', decideFrom: (context: TakeoverContext) => OverrideOutcome): Promise<LiveOverrideView> {
    const outcome = await this.decisions.runExclusive(async () => {
      const { config, context, daemon, sessions } = await this.readContext(`${action} requested`, performance.now());
      const result = decideFrom(context);
      if (!result.ok) throw new WaveError(409, result.code, result.reason);
      const session = sessions?.find((s) => s.publisherId === result.override.publisherId);
      const at = new Date().toISOString();
      await this.store.update(LIVE_OVERRIDE_DOCUMENT, () => ({
        action,
        publisherId: result.override.publisherId,
        clientId: session?.clientId ?? null,
        at,
      }));
      const command =
        result.decision.action === 'take-air' ? await this.djCommand(result.decision.publisherId) : await this.configuredCommand(config);
      if (command && daemon) await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, command);
      this.logger.log(`the operator ${action === 'take' ? 'took' : 'released'} the live DJ ${result.override.publisherId}`);
      return { action, publisherId: result.override.publisherId, at };
    });
    this.events.emit('telegram.live.override', { ...outcome, reason: `${action} by the operator` });
    return outcome;
  }

  /** What a decision decides from, read fresh: the config, PM2, nginx's sessions and the stored override (cleared once its session ended). */
  private async readContext(cause: string, queuedAt: number) {
    const config = await this.configs.read();
    const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
    const daemonRunning = daemon?.status === 'online';
    const sessions = daemonRunning ? await this.liveSessions(cause, queuedAt) : [];
    const override = await this.overrideInForce(sessions);
    const context: TakeoverContext = {
      enabled: config.liveTakeover,
      configuredSource: config.source,
      daemonRunning,
      livePublishers: sessions ? sessions.map((s) => s.publisherId) : null,
      onAir: this.reports.onAir,
      override,
    };
    return { config, daemon, context, sessions };
  }

  private async overrideInForce(sessions: LiveSession[] | null): Promise<TakeoverContext['override']> {
    const stored: LiveOverrideDocument = await this.store.read(LIVE_OVERRIDE_DOCUMENT);
    if (stored.action === 'none') return null;
    if (overrideInForce(stored, sessions)) return { action: stored.action, publisherId: stored.publisherId };
    await this.store.update(LIVE_OVERRIDE_DOCUMENT, () => LIVE_OVERRIDE_DOCUMENT.defaults());
    this.events.emit('telegram.live.override', {
      action: 'none',
      publisherId: stored.publisherId,
      at: new Date().toISOString(),
      reason: `the ${stored.action === 'take' ? 'taken' : 'released'} session ended`,
    });
    return null;
  }

  @OnEvent('rtmp.publish.started')
  async publishStarted(event: WaveEventMap['rtmp.publish.started']): Promise<void> {
    await this.decide(`DJ ${event.stream} went live`, (context) => onDjPublished(context, event.publisherId));
  }

  @OnEvent('rtmp.publish.stopped')
  async publishStopped(event: WaveEventMap['rtmp.publish.stopped']): Promise<void> {
    await this.decide(`DJ ${event.stream} stopped`, (context) => onDjUnpublished(context, event.publisherId));
  }

  /** The daemon started or restarted (its `daemon-started` report). */
  @OnEvent('telegram.daemon.started')
  async daemonStarted(): Promise<void> {
    await this.decide('the daemon started', (context, config) => onDaemonStarted(context, relaysWaveIngest(config)));
  }

  /**
   * The configured source or the takeover flag changed. False when the daemon could not be told what to
   * play (logged); true when it was, or had nothing to change.
   */
  sourceConfigured(): Promise<boolean> {
    return this.decide('the source was configured', onSourceConfigured);
  }

  /**
   * Resolves once every decision queued so far is done (its command sent, or its failure logged), and
   * those queued meanwhile too. Each event handler queues its decision at once, while the event is
   * emitted, so awaiting this after raising an event awaits the decision it started.
   */
  async idle(): Promise<void> {
    let last: Promise<unknown>;
    do {
      last = this.latest;
      await last;
    } while (last !== this.latest);
  }

  private decide(
    cause: string,
    decideFrom: (context: TakeoverContext, config: TelegramConfigDocument) => TakeoverDecision,
  ): Promise<boolean> {
    const queuedAt = performance.now();
    const decision = this.decisions
      .runExclusive(async () => {
        const { config, daemon, context } = await this.readContext(cause, queuedAt);
        const decision = decideFrom(context, config);
        if (decision.action === 'none' || !daemon) {
          if (decision.action === 'none') this.logger.debug(`${cause}: no source change (${decision.reason})`);
          return true;
        }
        const command = decision.action === 'take-air' ? await this.djCommand(decision.publisherId) : await this.configuredCommand(config);
        if (!command) return true;
        await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, command);
        this.logger.log(
          `${cause}: ${decision.action === 'take-air' ? 'a DJ takes the air' : `the configured ${config.source} goes on the air`}`,
        );
        return true;
      })
      .catch((error: unknown) => {
        this.logger.error(`${cause}: could not switch the Telegram source: ${(error as Error).message}`);
        return false;
      });
    this.latest = decision;
    return decision;
  }

  /**
   * Who is live on Wave's RTMP ingest, or null when it cannot be asked (neither nginx's /stat nor the
   * engine answers): the decision then goes as with nobody live, since nobody can publish to an ingest
   * that does not serve, and the log says so. The source the operator chose must not wait on the engine:
   * a decision queued behind one the engine left waiting its whole bound asks nginx alone, not the engine
   * again (a source change right after the daemon started would otherwise wait two bounds).
   */
  private async liveSessions(cause: string, queuedAt: number): Promise<LiveSession[] | null> {
    try {
      return (await this.ingest.livePublishers({ askEngine: this.engineTimedOutAt < queuedAt })).map((p) => ({
        publisherId: p.publisherId,
        clientId: p.clientId ?? null,
      }));
    } catch (error) {
      if (error instanceof DockerTimeoutError) this.engineTimedOutAt = performance.now();
      this.logger.warn(`${cause}: who is live on the RTMP ingest is unknown (${(error as Error).message}); deciding as if no DJ were live`);
      return null;
    }
  }

  private async djCommand(publisherId: string): Promise<DaemonCommand | null> {
    const url = await this.ingest.liveInputUrlForPublisher(publisherId);
    if (!url) this.logger.warn('the DJ on air no longer has a configured stream key; the Telegram source stays as it is');
    return url ? { command: 'switch-source', source: 'rtmp', url, ingest: true } : null;
  }

  /** The configured source as a command; `rtmp` without a relay URL is Wave's own ingest (its first key). */
  private async configuredCommand(config: TelegramConfigDocument): Promise<DaemonCommand> {
    if (config.source === 'url') return { command: 'switch-source', source: 'url', url: config.radioUrl };
    if (config.source === 'rtmp' && config.relayUrl) return { command: 'switch-source', source: 'rtmp', url: config.relayUrl };
    if (config.source === 'rtmp') {
      try {
        return { command: 'switch-source', source: 'rtmp', url: await this.ingest.liveInputUrl(), ingest: true };
      } catch (error) {
        this.logger.warn(`cannot relay Wave's RTMP ingest (${(error as Error).message}); the playlist plays`);
      }
    }
    return { command: 'switch-source', source: 'playlist' };
  }
}

/** An operator's take or release, as status and events show it (the publisher id is opaque, never the key). */
export interface LiveOverrideView {
  action: 'take' | 'release';
  publisherId: string;
  at: string;
}

/** `rtmp` with no relay URL: the daemon waits for Wave to tell it its own ingest's input. */
export function relaysWaveIngest(config: TelegramConfigDocument): boolean {
  return config.source === 'rtmp' && config.relayUrl === '';
}
