import { LeadershipService } from '../leadership/leadership.service.js';
import { Injectable, Logger } from '@nestjs/common';
import { RecentResult } from '../common/recent-result.js';
import { OnEvents } from '../bus/on-events.js';
import type { PublicStatus, StreamingStatus } from '../contracts/socket-events.js';
import { SocketAudience } from './socket-audience.js';
import { WaveEvents, type WaveEventName } from '../bus/wave-events.js';
import { DestinationsStatusSource, NowPlayingSource, RtmpStatusSource, TelegramStatusSource } from './status-sources.js';

type ServicesState = Omit<StreamingStatus, 'listeners'>;

/**
 * A read of Docker/PM2 older than this is re-read (in the background). Every domain event that changes a
 * service's state drops it at once, so this only bounds how late a change made behind Wave's back (a
 * container killed by hand) shows up: about this long plus one read.
 */
export const STATUS_MAX_AGE_MS = 1_000;

/** Domain events after which the services' state is read again and pushed to socket clients. */
export const STATUS_CHANGING_EVENTS: WaveEventName[] = [
  'config.updated',
  'rtmp.container.state',
  'rtmp.publish.started',
  'rtmp.publish.stopped',
  'telegram.status',
  'telegram.source',
  'track.changed',
  'stream.destination.state',
  'stream.destinations.updated',
];

/**
 * One view of the station: RTMP ingest, Telegram stream, now playing, socket audience. Reads go to the
 * real systems through the status sources; concurrent callers share one read, which is refreshed once
 * STATUS_MAX_AGE_MS old and dropped as soon as an event says the state changed. After such an event the new status
 * is raised as `streaming.status.changed` (the gateways push it to clients).
 */
@Injectable()
export class StreamingStatusService {
  private readonly logger = new Logger(StreamingStatusService.name);
  /**
   * The last read of the services, shared by concurrent callers. Past STATUS_MAX_AGE_MS it is re-read in
   * the background (requests do not wait on Docker/PM2 for the safety-net re-read); after a state-changing
   * event, callers wait for a fresh read.
   */
  private readonly services = new RecentResult(STATUS_MAX_AGE_MS, () => this.readServices(), { refreshInBackground: true });
  private pushScheduled = false;
  /** The services' state last pushed, to push changes only. */
  private lastPushed: string | null = null;

  constructor(
    private readonly rtmp: RtmpStatusSource,
    private readonly telegram: TelegramStatusSource,
    private readonly nowPlaying: NowPlayingSource,
    private readonly audience: SocketAudience,
    private readonly events: WaveEvents,
    private readonly destinations: DestinationsStatusSource,
    private readonly leadership: LeadershipService,
  ) {}

  async current(): Promise<StreamingStatus> {
    const state = await this.services.get();
    return { ...state, listeners: { public: this.audience.count('public'), admin: this.audience.count('admin') } };
  }

  async currentPublic(): Promise<PublicStatus> {
    return toPublicStatus(await this.current());
  }

  /**
   * Forgets the last read and, once per burst of events, pushes the fresh status — only when the services'
   * state differs from the last one pushed (a config change that leaves every service as it was sends nothing).
   */
  @OnEvents(STATUS_CHANGING_EVENTS)
  stateChanged(): void {
    this.services.forget();
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    setImmediate(() => {
      this.pushScheduled = false;
      this.current().then(
        (status) => {
          const key = JSON.stringify([status.rtmp, status.telegram, status.nowPlaying, status.destinations]);
          if (key === this.lastPushed) return;
          this.lastPushed = key;
          this.events.emit('streaming.status.changed', status);
        },
        (error: Error) => this.logger.warn(`Could not read the streaming status after a change: ${error.message}`),
      );
    });
  }

  private async readServices(): Promise<ServicesState> {
    const [rtmp, telegram] = await Promise.all([this.rtmp.read(), this.telegram.read()]);
    // Read after the daemon's state: PM2 finding the daemon stopped has already cleared now playing (its one rule).
    const destinations = await this.destinations.read().catch((error: Error) => {
      this.logger.warn(`Could not read the destinations for the status: ${error.message}`);
      return [];
    });
    const leader = this.leadership.leader;
    return { leader, rtmp, telegram, nowPlaying: this.nowPlaying.read(), destinations, updatedAt: new Date().toISOString() };
  }
}

/** The listener widgets' view: no service internals. */
export function toPublicStatus(status: StreamingStatus): PublicStatus {
  return {
    onAir: status.telegram.connection === 'connected',
    live: status.rtmp.publishers > 0,
    nowPlaying: status.nowPlaying,
    listeners: status.listeners.public,
    updatedAt: status.updatedAt,
  };
}
