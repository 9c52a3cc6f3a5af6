import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { join } from 'node:path';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { AppConfig } from '../config/app-config.js';
import type { NowPlaying, UpNext } from '../contracts/socket-events.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import type { TrackEndedMessage, TrackStartedMessage, UpcomingItem } from '../contracts/daemon-messages.js';
import { nextNowPlaying, type NowPlayingFact, type Playing } from './now-playing.js';
import { NOW_PLAYING_FILE, NowPlayingFile } from './now-playing.file.js';

/**
 * The one owner of now playing. The daemon's reports and PM2's word on the daemon come in as facts, the
 * one rule (nextNowPlaying) makes now playing of them, and every answer reads it from here, from memory:
 * `GET /api/tracks/now-playing`, `/api/stream/telegram/status`, `/api/streaming/status` and the socket
 * statuses. Each change is kept in `DATA_DIR/now-playing.json` (NowPlayingFile), read at boot, so a
 * restarted Wave shows what a daemon still running plays; the library file is never written for it.
 */
@Injectable()
export class NowPlayingService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(NowPlayingService.name);
  private readonly file: NowPlayingFile;
  private playing: Playing | null = null;
  /** The decision that plays now (its item id), when the programme chose it. */
  private playingItemId: string | null = null;
  /** The programme's look-ahead as last decided (`programme.upcoming`): what plays next is read from it. */
  private upcoming: UpcomingItem[] = [];
  /** Whether the daemon runs, as Wave last learned it (null: not learned yet since boot); `telegram.daemon.stopped` is raised once per stop. */
  private daemonRuns: boolean | null = null;

  constructor(
    config: AppConfig,
    private readonly events: WaveEvents,
    storage: StorageRepository,
    private readonly leadership: LeadershipService,
  ) {
    this.file = new NowPlayingFile(join(config.dataDir, NOW_PLAYING_FILE), this.logger, storage);
  }

  async onModuleInit(): Promise<void> {
    this.playing = await this.file.load();
  }

  /** An instance that takes the lead (from a leader that died) reads what that leader last kept. */
  async onApplicationBootstrap(): Promise<void> {
    // Leading from boot, the file was just read (onModuleInit); a lead taken over reads it again.
    await this.leadership.whileLeading(
      'now playing',
      async (takenOver) => {
        if (takenOver) this.playing = await this.file.load();
      },
      () => undefined,
    );
  }

  /** The last change reaches the disk before Wave stops. */
  async onModuleDestroy(): Promise<void> {
    await this.file.settled();
  }

  /** What plays now; null while nothing does. */
  current(): NowPlaying | null {
    return this.playing ? { ...this.playing, next: this.next() } : null;
  }

  /**
   * What plays after the current track: the look-ahead's item after the one playing (the look-ahead is decided as a
   * track starts, so until the programme has decided again it still begins with the track now playing).
   */
  next(): UpNext | null {
    const at = this.playingItemId ? this.upcoming.findIndex((item) => item.play.itemId === this.playingItemId) : -1;
    const item = this.upcoming[at + 1];
    if (!item) return null;
    const { track, play } = item;
    return {
      trackId: track.id,
      title: track.title,
      artist: track.artist,
      duration: track.duration,
      reason: play.reason,
      playlistId: play.playlistId,
    };
  }

  @OnEvent('programme.upcoming')
  upcomingDecided(event: WaveEventMap['programme.upcoming']): void {
    this.upcoming = event.items;
  }

  /** The daemon's `track-started` report: now playing, raised as `track.changed`. */
  trackStarted({ track, startedAt }: Pick<TrackStartedMessage, 'track' | 'startedAt'>): void {
    this.daemonRuns = true;
    const reason = track.play?.reason ?? null;
    const playlistId = track.play?.playlistId ?? null;
    this.playingItemId = track.play?.itemId ?? null;
    this.apply({
      fact: 'track-started',
      nowPlaying: { trackId: track.id, title: track.title, artist: track.artist, duration: track.duration, startedAt, reason, playlistId },
    });
    this.events.emit('track.changed', {
      track: { id: track.id, title: track.title, artist: track.artist, duration: track.duration },
      startedAt,
      reason,
      playlistId,
      itemId: this.playingItemId,
      next: this.next(),
    });
  }

  /** The daemon's `track-ended` report; the track now playing ending is raised as `track.ended`. */
  trackEnded(trackId: string, endedAt = new Date().toISOString(), reason: TrackEndedMessage['reason'] = 'finished'): void {
    const ending = this.playing?.trackId;
    this.apply({ fact: 'track-ended', trackId });
    if (ending !== undefined && this.playing === null) this.events.emit('track.ended', { trackId: ending, endedAt, reason });
  }

  /**
   * PM2 or the daemon said whether the daemon runs (PM2 not answering is no word: do not call). Learning that it
   * does not run ends the track now playing (`track.ended`, reason `stopped`) and is raised as `telegram.daemon.stopped`.
   */
  daemonRunning(running: boolean): void {
    const ending = this.playing?.trackId;
    this.apply({ fact: 'daemon', running });
    const stopped = !running && this.daemonRuns !== false;
    this.daemonRuns = running;
    if (running) return;
    const at = new Date().toISOString();
    if (ending !== undefined) this.events.emit('track.ended', { trackId: ending, endedAt: at, reason: 'stopped' });
    if (stopped) this.events.emit('telegram.daemon.stopped', { at });
  }

  @OnEvent('tracks.updated')
  tracksUpdated(event: WaveEventMap['tracks.updated']): void {
    if (event.reason === 'deleted') this.apply({ fact: 'tracks-removed', trackIds: event.trackIds });
  }

  /** Resolves once every change so far is on disk (specs; shutdown). */
  saved(): Promise<void> {
    return this.file.settled();
  }

  private apply(fact: NowPlayingFact): void {
    const next = nextNowPlaying(this.playing, fact);
    if (JSON.stringify(next) === JSON.stringify(this.playing)) return;
    this.playing = next;
    this.file.save(next);
  }
}
