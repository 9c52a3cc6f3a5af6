import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { WaveEventMap } from '../bus/wave-events.js';
import { redact } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import { PlayHistoryRepository, type NewPlay, type PlaySource } from '../repositories/play-history.repository.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { DEFAULT_HISTORY_PAGE_SIZE, parseInstant, type ListHistoryQueryDto, type PlayPageDto } from './dto/history.dto.js';
import { decodeHistoryCursor, encodeHistoryCursor, type HistoryListShape } from './history-cursor.js';

/** While something is on the air, the last-known time is refreshed at most this often (on the daemon's stats, every ~5 s). */
export const HEARTBEAT_INTERVAL_MS = 30_000;

/**
 * The play history: what played on the Telegram stream and why, from the facts on the bus.
 * - `track.changed`: a library track started (its source is why: rotation, playlist, jingle, hourly, request); the row
 *   on the air before it ends then.
 * - `telegram.source`: the radio URL (`radio`) or a DJ (`live`) took the air, opening a row; back to the playlist
 *   ends the radio or live row (the next `track.changed` opens the track's); silence ends whatever played.
 * - `track.ended` (the daemon's end report, or the daemon known stopped) ends that track's row.
 * - `telegram.daemon.stopped`: nothing is on the air any more.
 * Facts are written one at a time, in the order they came, so a start never overtakes the end before it.
 *
 * At boot, rows a previous run left open are closed at the last time Wave knew what was on the air: a row's start,
 * a heartbeat (every HEARTBEAT_INTERVAL_MS while the daemon reports stats) or a clean stop; boot time when none
 * is stored. After a crash a row is thus at most that interval short, never days long. A Wave restarted while the
 * daemon plays on hears of the programme's plays that started meanwhile from the daemon's answer to its first
 * look-ahead (`telegram.upcoming.accepted`), and records them late, each ending where the next row starts; the track
 * that played across the restart ends at the stop.
 *
 * Several instances: for now every instance writes what it hears (each gets the daemon's reports over PM2's bus).
 * Rows are idempotent per (startedAt, source, trackId) and closes only touch open rows, so the facts are stored
 * once. In the multi-instance issue only the leader will write, and closing leftovers moves from boot to taking
 * the lead (an instance booting beside a running leader must not close the leader's open row).
 */
@Injectable()
export class HistoryService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HistoryService.name);
  /** The writes, one after another (each catches its own failure, so the chain never rejects). */
  private tail: Promise<void> = Promise.resolve();
  private lastHeartbeat = 0;

  constructor(
    private readonly history: PlayHistoryRepository,
    private readonly tracks: TrackRepository,
  ) {}

  /** Before any event is delivered (Nest subscribes listeners at bootstrap): close what a previous run left open. */
  async onModuleInit(): Promise<void> {
    await this.write('close the rows a previous run left open', async () => {
      const open = await this.history.open();
      if (open.length === 0) return;
      const now = new Date().toISOString();
      const known = await this.history.lastKnown();
      const at = known !== null && known < now ? known : now;
      const closed = await this.history.closeOpen(at);
      this.logger.log(`closed ${closed} play history row(s) a previous run left open, at ${at} (${known ? 'last known' : 'boot time'})`);
    });
  }

  /** The writes queued so far reach the database, then the stop is recorded as the last-known time. */
  async onModuleDestroy(): Promise<void> {
    await this.write('record the stop', () => this.history.markKnown(new Date().toISOString()));
  }

  /** Resolves once every fact received so far is written (specs; shutdown). */
  settled(): Promise<void> {
    return this.tail;
  }

  async list(query: ListHistoryQueryDto = {}): Promise<PlayPageDto> {
    const from = instantParameter('from', query.from);
    const to = instantParameter('to', query.to);
    if (from !== undefined && to !== undefined && from > to)
      throw new WaveError(400, 'invalid_query', ['to must not be earlier than from']);
    const shape: HistoryListShape = { order: query.order ?? 'desc', from, to, source: query.source };
    const after = query.cursor === undefined ? undefined : decodeHistoryCursor(query.cursor, shape);
    const page = await this.history.page({ ...shape, limit: query.limit ?? DEFAULT_HISTORY_PAGE_SIZE, after });
    return { items: page.items, nextCursor: page.last ? encodeHistoryCursor(shape, page.last) : null };
  }

  @OnEvent('track.changed')
  trackChanged({ track, startedAt, reason }: WaveEventMap['track.changed']): void {
    // A track the daemon chose itself (Wave's programme away) played in library order.
    this.startPlay({ source: reason ?? 'playlist', startedAt, trackId: track.id, title: track.title, artist: track.artist });
  }

  /**
   * The programme's plays the daemon started since its previous answer, oldest first: usually ones heard already as
   * `track.changed` (the same row: rows are idempotent), but after a Wave restart also those it started meanwhile.
   */
  @OnEvent('telegram.upcoming.accepted')
  playsStarted({ started }: WaveEventMap['telegram.upcoming.accepted']): void {
    for (const play of started) {
      const startedAt = stored(play.startedAt);
      if (!startedAt) continue;
      void this.write(`record the ${play.reason} play of ${play.trackId}`, async () => {
        const track = await this.tracks.get(play.trackId);
        await this.history.start({
          source: play.reason,
          startedAt,
          trackId: play.trackId,
          title: track?.title ?? '',
          artist: track?.artist ?? '',
        });
      });
    }
  }

  @OnEvent('telegram.source')
  sourceChanged({ source, label, live, at }: WaveEventMap['telegram.source']): void {
    if (live || source === 'url') {
      this.startPlay({ source: live ? 'live' : 'radio', startedAt: at, trackId: null, title: safeLabel(label), artist: '' });
    } else if (source === 'playlist') {
      // The playlist's own rows open with its tracks; only what played instead of it ends here.
      this.closePlays(at, ['radio', 'live']);
    } else {
      this.closePlays(at);
    }
  }

  @OnEvent('track.ended')
  trackEnded({ trackId, endedAt }: WaveEventMap['track.ended']): void {
    const at = stored(endedAt);
    if (!at) return this.logger.warn(`track.ended with an unreadable time ignored: ${endedAt}`);
    void this.write(`end the play of track ${trackId}`, async () => {
      await this.history.closeTrack(trackId, at);
    });
  }

  @OnEvent('telegram.daemon.stopped')
  daemonStopped({ at }: WaveEventMap['telegram.daemon.stopped']): void {
    this.closePlays(at);
  }

  /** The daemon runs and reports: what is on the air is known at least until now. */
  @OnEvent('telegram.stats')
  statsReported(): void {
    const now = Date.now();
    if (now - this.lastHeartbeat < HEARTBEAT_INTERVAL_MS) return;
    this.lastHeartbeat = now;
    void this.write('record the last-known time', () => this.history.markKnown(new Date(now).toISOString()));
  }

  private startPlay(play: NewPlay): void {
    const startedAt = stored(play.startedAt);
    if (!startedAt) return this.logger.warn(`a ${play.source} start with an unreadable time ignored: ${play.startedAt}`);
    void this.write(`record the ${play.source} play of ${play.trackId ?? play.title}`, async () => {
      await this.history.start({ ...play, startedAt });
    });
  }

  private closePlays(at: string, sources?: readonly PlaySource[]): void {
    const time = stored(at);
    if (!time) return this.logger.warn(`an end with an unreadable time ignored: ${at}`);
    void this.write(`end the ${sources?.join(' or ') ?? 'open'} play`, async () => {
      await this.history.closeOpen(time, sources);
    });
  }

  /** Queues `work` after every write before it; a failure is logged (the history misses that fact), never thrown. */
  private write(what: string, work: () => Promise<void>): Promise<void> {
    this.tail = this.tail.then(work).catch((error: unknown) => {
      this.logger.warn(`play history: could not ${what}: ${(error as Error).message}`);
    });
    return this.tail;
  }
}

/** The daemon's times as the table stores them (`toISOString()`, so they sort as they compare); null when unreadable. */
function stored(time: string): string | null {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A query time as stored times compare (`toISOString()`); 400 naming the field when it is none (the DTO checks it first). */
function instantParameter(field: 'from' | 'to', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const instant = parseInstant(value);
  if (!instant) throw new WaveError(400, 'invalid_query', [`${field} must be an ISO-8601 date or date-time with a time zone`]);
  return instant.toISOString();
}

/** A source's label without credentials: a URL keeps its scheme, host and path (the daemon's labels already do). */
function safeLabel(label: string): string {
  try {
    const url = new URL(label);
    return redact(`${url.protocol}//${url.host}${url.pathname}`);
  } catch {
    return redact(label);
  }
}
