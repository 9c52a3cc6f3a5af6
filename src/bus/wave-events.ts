import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { WebhookEventType } from '../contracts/webhooks.js';
import type { DestinationConnection, DestinationState } from '../contracts/destinations.js';
import type { StatsMessage, UpcomingAcceptedMessage, UpcomingItem } from '../contracts/daemon-messages.js';
import type {
  AnalysisProgress,
  PlaylistsUpdatedEvent,
  QueueUpdatedEvent,
  ScanJob,
  ScanProgress,
  ScheduleUpdatedEvent,
  StreamingStatus,
  TrackChangedEvent,
} from '../contracts/socket-events.js';

/**
 * Every domain event Wave raises, by name, with its payload. Services emit through WaveEvents;
 * listeners (the Socket.IO gateway, metrics) subscribe with `@OnEvent(name)`. Payloads carry no secrets.
 */
export interface WaveEventMap {
  /** A data document changed (`document` is its file name). */
  'config.updated': { document: string; at: string };
  /** The streaming status after a state change (raised by StreamingStatusService; the gateways push it). */
  'streaming.status.changed': StreamingStatus;
  /** The RTMP ingest container changed state (Docker's event stream; also changes made outside Wave). */
  'rtmp.container.state': {
    state: 'running' | 'stopped' | 'removed' | 'paused';
    action: string;
    containerId: string;
    exitCode?: number;
    at: string;
  };
  /**
   * nginx-rtmp let a publisher on air (`stream` is the stream key, masked; `publisherId` an opaque id of
   * the key, stable across Wave restarts, and the name nginx publishes the stream under — RtmpService.liveInputUrlForPublisher
   * turns it into the live input).
   */
  'rtmp.publish.started': { application: string; stream: string; publisherId: string; clientAddress?: string; at: string };
  /** A publisher left the air. */
  'rtmp.publish.stopped': { application: string; stream: string; publisherId: string; clientAddress?: string; at: string };
  /** The Telegram daemon's lifecycle or ingest connection changed (PM2 events and the daemon's reports). */
  'telegram.status': { state: string; connection: string; pid: number | null; source: string | null; reason?: string; at: string };
  /** The Telegram daemon (re)started and said what it plays first (its `daemon-started` report): the live takeover decides again. */
  'telegram.daemon.started': { pid: number; source: string; at: string };
  /**
   * What the Telegram stream has on air changed, when it is heard at the ingest: `rtmp` is the live
   * relay (a DJ on air), `previous` what played before. `label` carries no credentials or keys.
   */
  'telegram.source': { source: string; previous: string | null; label: string; live: boolean; at: string };
  /**
   * The operator took a live DJ onto the air or released them (POST /api/stream/live/take, /release), or the session
   * an override named ended (`none`). `publisherId` is opaque (never the key).
   */
  'telegram.live.override': { action: 'take' | 'release' | 'none'; publisherId: string; reason: string; at: string };
  /** The daemon's periodic stream stats (every ~5 s while it runs). */
  'telegram.stats': Omit<StatsMessage, 'event'>;
  /** The daemon reported an error, or exited without being asked to (message redacted). */
  'telegram.error': { code: string; message: string; at: string };
  /** One attempt to deliver a webhook event: delivered, to be retried, or given up (`failed`). */
  'webhook.attempted': { webhookId: string; type: WebhookEventType; outcome: 'delivered' | 'retrying' | 'failed'; at: string };
  /** This instance took the station's lead (`leader`) or lost it; `leaderId` is the instance that leads, when known. */
  'leadership.changed': { instanceId: string; leader: boolean; leaderId: string | null; at: string };
  /** A request failed on Wave's side (status ≥ 500): what the on-call engineer should see live. */
  'wave.error': { status: number; code: string; message: string; method: string; route: string; requestId: string; at: string };
  /**
   * A track started playing on the Telegram stream (when its audio reached the ingest). `itemId` names the programme's
   * decision it plays (null when the daemon chose it in its own library order), so the programme commits it.
   */
  'track.changed': TrackChangedEvent & { itemId: string | null };
  /** The programme decided what plays after the current track (the look-ahead, in order; raised again after every change). */
  'programme.upcoming': { items: UpcomingItem[]; at: string };
  /** The daemon took a look-ahead and said which of the programme's plays it started since it last answered. */
  'telegram.upcoming.accepted': Omit<UpcomingAcceptedMessage, 'event'>;
  /**
   * The track now playing left the air (raised by NowPlayingService): the daemon reported its end (`finished`, or
   * `interrupted` by another source or the daemon stopping; `endedAt` is the daemon's, when it was heard), or Wave
   * learned the daemon does not run (`stopped`; `endedAt` is when Wave learned it).
   */
  'track.ended': { trackId: string; endedAt: string; reason: 'finished' | 'interrupted' | 'skipped' | 'stopped' };
  /**
   * Wave learned the Telegram daemon does not run, after it ran or at boot (raised by NowPlayingService, once per
   * stop): a PM2 read or event, Wave's own stop, or the daemon's `daemon-stopped` report. Nothing is on the air.
   */
  'telegram.daemon.stopped': { at: string };
  /** The track library changed. */
  'tracks.updated': { reason: 'added' | 'updated' | 'deleted' | 'reordered'; trackIds: string[]; count: number; at: string };
  /** A folder import's counts while it runs (LibraryScanService, at most ~4 a second per scan). */
  'tracks.scan.progress': ScanProgress;
  /** A folder import ended (`done` or `failed`). */
  'tracks.scan.finished': ScanJob;
  /** The loudness analysis' counts (TrackAnalysisService, at most ~2 a second, and once when it goes idle). */
  'tracks.analysis.progress': AnalysisProgress;
  /**
   * The sound settings the library's analysis depends on, from the Telegram config (raised at boot and after each
   * change of it): cues are detected below `silenceThresholdDb`.
   */
  'sound.settings': { silenceThresholdDb: number; at: string };
  /** `audio-tracks.json` now holds the library as it was after these changes (readers outside Wave may re-read it). */
  'tracks.snapshot': { count: number; at: string };
  /** Playlists or their tracks changed (ProgrammeModule, once written): the programme decides again. */
  'playlists.updated': PlaylistsUpdatedEvent;
  /** The weekly schedule or the station's time zone changed. */
  'schedule.updated': ScheduleUpdatedEvent;
  /** The request queue changed; `count` is its length after the change. */
  'queue.updated': QueueUpdatedEvent;
  /**
   * A simulcast destination's connection changed state, as the daemon reported it (`destination-state`), or a
   * destination went `disabled` because the daemon stopped. `name` is the destination's; no key or URL credentials.
   */
  'stream.destination.state': { destination: DestinationConnection; name: string; previous: DestinationState | null; at: string };
  /** A destination was added, changed (settings or enabled) or deleted through /api/stream/destinations. */
  'stream.destinations.updated': { action: 'added' | 'updated' | 'deleted'; id: string; at: string };
}

export type WaveEventName = keyof WaveEventMap;

/** The one event bus: typed emit over @nestjs/event-emitter. */
@Injectable()
export class WaveEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends WaveEventName>(name: K, payload: WaveEventMap[K]): void {
    this.emitter.emit(name, payload);
  }
}
