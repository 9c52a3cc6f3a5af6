import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { randomInt, randomUUID } from 'node:crypto';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import type { TrackSound, UpcomingItem } from '../contracts/daemon-messages.js';
import { PlaylistRepository } from '../repositories/playlist.repository.js';
import { ProgrammeStateRepository } from '../repositories/programme-state.repository.js';
import { QueueRepository } from '../repositories/queue.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { afterPlay, initialProgrammeState, planUpcoming, trackHash, type CatalogTrack, type ProgrammeCatalog } from './decide-next.js';
import type { Decision, PlannedItem, StoredProgramme } from './programme.model.js';
import { QueueService } from './queue.service.js';
import { nextScheduleChange } from './schedule-time.js';

/** How many plays the daemon holds ahead of the one on the air. */
export const LOOK_AHEAD = 2;
/** Edits within this long are decided on once. */
const REDECIDE_DEBOUNCE_MS = 50;
/** A timer further out than this is re-armed later (setTimeout's limit is ~24.8 days; the schedule looks 8 days ahead). */
const MAX_TIMER_MS = 6 * 3600_000;

/** A track as the programme hands it to the daemon. */
interface ProgrammeTrack extends CatalogTrack {
  title: string;
  path: string;
  /** Its loudness and cues, as the daemon plays it (the decider does not read them). */
  sound: TrackSound;
}

interface Catalog extends ProgrammeCatalog {
  tracks: ReadonlyMap<string, ProgrammeTrack>;
}

/**
 * The programme's story: what plays next is decided by one pure function (planUpcoming) from the schedule, the
 * playlists, the queue and the rotation state, all read from the database; this service only feeds it and acts on
 * its answer.
 * - Decides the look-ahead (LOOK_AHEAD plays after the one on the air) and raises it as `programme.upcoming`; the
 *   Telegram feature hands it to the daemon, which holds it decoded, so a slow database or a restarting Wave leaves
 *   no silence.
 * - Commits a play when the daemon reports it started (`track.changed` with its item id, or `upcoming-accepted` for
 *   what started while Wave was away): the rotation state after it is stored, a request leaves the queue, and the
 *   look-ahead is decided again from there. Committing on the report, not on the decision, keeps re-decisions free.
 * - Decides again, live, after any change to the library, playlists, schedule or queue, and at every moment the
 *   schedule changes (a timer), so a new programme starts at the next track boundary.
 * Work is done one piece at a time (a chain), so a commit and a re-decision never interleave.
 */
@Injectable()
export class ProgrammeService implements OnModuleDestroy {
  private readonly logger = new Logger(ProgrammeService.name);
  private tail: Promise<void> = Promise.resolve();
  /** The library and playlists as the decider reads them; rebuilt after a change to either. */
  private catalog: Catalog | null = null;
  /** Raised by every change to the library or playlists, so a catalog read across one is not kept. */
  private catalogGeneration = 0;
  /** When the track on the air started and how long it is (from track.changed): the next play starts at its end. */
  private onAir: { startedAt: number; duration: number } | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private scheduleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly tracks: TrackRepository,
    private readonly playlists: PlaylistRepository,
    private readonly schedule: ScheduleRepository,
    private readonly queue: QueueRepository,
    private readonly requests: QueueService,
    private readonly stored: ProgrammeStateRepository,
    private readonly events: WaveEvents,
  ) {}

  onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.scheduleTimer) clearTimeout(this.scheduleTimer);
    return this.tail;
  }

  /** Resolves once the work queued so far is done (specs; shutdown). */
  settled(): Promise<void> {
    return this.tail;
  }

  /** Decide the look-ahead again now (a daemon started, or was found running). */
  decideAgain(why: string): void {
    this.enqueue(`decide again (${why})`, () => this.decide());
  }

  @OnEvent('track.changed')
  trackChanged(event: WaveEventMap['track.changed']): void {
    const startedAt = Date.parse(event.startedAt);
    this.onAir = { startedAt, duration: event.track.duration };
    const itemId = event.itemId;
    this.enqueue(`commit the play of ${event.track.id}`, async () => {
      if (itemId) await this.commit([{ itemId, trackId: event.track.id, startedAt }]);
      await this.decide();
    });
  }

  @OnEvent('telegram.upcoming.accepted')
  upcomingAccepted({ started }: WaveEventMap['telegram.upcoming.accepted']): void {
    if (started.length === 0) return;
    this.enqueue('commit the plays the daemon started while Wave was away', async () => {
      if (await this.commit(started.map((s) => ({ itemId: s.itemId, trackId: s.trackId, startedAt: Date.parse(s.startedAt) })))) {
        await this.decide();
      }
    });
  }

  @OnEvent('tracks.updated')
  @OnEvent('playlists.updated')
  catalogChanged(): void {
    this.catalog = null;
    this.catalogGeneration += 1;
    this.changed();
  }

  @OnEvent('schedule.updated')
  @OnEvent('queue.updated')
  changed(): void {
    if (this.debounce || this.closed) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.enqueue('decide again after a change', () => this.decide());
    }, REDECIDE_DEBOUNCE_MS);
  }

  private enqueue(what: string, work: () => Promise<void>): void {
    this.tail = this.tail.then(work).catch((error: Error) => {
      // The daemon plays on from the look-ahead it holds; the next report or change decides again.
      this.logger.warn(`could not ${what}: ${error.message}`);
    });
  }

  /** Applies the plays the daemon started (oldest first) that are not applied yet; true when any was. */
  private async commit(plays: Array<{ itemId: string; trackId: string; startedAt: number }>): Promise<boolean> {
    const programme = await this.load();
    // A play this Wave never decided (another instance's, or a plan since replaced) is not the rotation's to count.
    const seen = new Set(programme.state.appliedItemIds);
    const toApply = plays.flatMap((play) => {
      const decision = programme.planned.find((item) => item.itemId === play.itemId);
      if (!decision || decision.trackId !== play.trackId || seen.has(play.itemId)) return [];
      seen.add(play.itemId);
      return [{ decision, startedAt: play.startedAt }];
    });
    if (toApply.length === 0) return false;
    const [catalog, timeZone] = await Promise.all([this.readCatalog(), this.stored.getTimeZone()]);
    let { state } = programme;
    for (const { decision, startedAt } of toApply) {
      state = afterPlay(state, decision, startedAt, catalog, timeZone);
      state = { ...state, appliedItemIds: [...state.appliedItemIds, decision.itemId].slice(-20) };
      if (decision.queueItemId) await this.requests.started(decision.queueItemId);
    }
    await this.save({ state, planned: programme.planned });
    return true;
  }

  /** Decides the look-ahead from the stored state, stores and raises it, and arms the schedule's next boundary. */
  private async decide(): Promise<void> {
    if (this.closed) return;
    const [programme, catalog, schedule, queue, timeZone] = await Promise.all([
      this.load(),
      this.readCatalog(),
      this.schedule.list(),
      this.queue.list(),
      this.stored.getTimeZone(),
    ]);
    const now = Date.now();
    const at = this.onAir ? Math.max(now, this.onAir.startedAt + this.onAir.duration * 1000) : now;
    const decisions = planUpcoming({ at, timeZone, catalog, schedule, queue, state: programme.state }, LOOK_AHEAD);
    const planned = keepItemIds(decisions, programme.planned, programme.state.appliedItemIds);
    await this.save({ state: programme.state, planned });
    this.events.emit('programme.upcoming', {
      items: planned.flatMap((item) => this.toUpcoming(item, catalog)),
      at: new Date().toISOString(),
    });
    this.armScheduleTimer(nextScheduleChange(schedule, timeZone, now), now);
  }

  private toUpcoming(item: PlannedItem, catalog: Catalog): UpcomingItem[] {
    const track = catalog.tracks.get(item.trackId);
    if (!track) return [];
    return [
      {
        play: { itemId: item.itemId, reason: item.reason, playlistId: item.playlistId },
        track: { id: track.id, title: track.title, artist: track.artist, duration: track.duration },
        path: track.path,
        sound: track.sound,
      },
    ];
  }

  private armScheduleTimer(change: number | null, now: number): void {
    if (this.scheduleTimer) clearTimeout(this.scheduleTimer);
    this.scheduleTimer = null;
    if (change === null || this.closed) return;
    const wait = change - now;
    this.scheduleTimer = setTimeout(
      () => {
        this.scheduleTimer = null;
        this.enqueue('decide again at a schedule boundary', () => this.decide());
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    this.scheduleTimer.unref();
  }

  /** The stored programme, or a fresh one (a new seed) before the first play. */
  private async load(): Promise<StoredProgramme> {
    return (await this.stored.getState()) ?? { state: initialProgrammeState(randomInt(2 ** 31)), planned: [] };
  }

  private save(programme: StoredProgramme): Promise<void> {
    return this.stored.saveState(programme);
  }

  private async readCatalog(): Promise<Catalog> {
    if (this.catalog) return this.catalog;
    const generation = this.catalogGeneration;
    const tracks = new Map<string, ProgrammeTrack>();
    const libraryOrder: string[] = [];
    for await (const batch of this.tracks.inPlayOrder()) {
      for (const track of batch) {
        tracks.set(track.id, {
          id: track.id,
          title: track.title,
          artist: track.artist,
          duration: track.duration,
          path: track.path,
          sound: { loudness: track.loudness ?? null, cueIn: track.cueIn ?? null, cueOut: track.cueOut ?? null },
          hash: trackHash(track.id),
        });
        libraryOrder.push(track.id);
      }
    }
    const catalog: Catalog = { tracks, libraryOrder, playlists: await this.playlists.all() };
    if (generation === this.catalogGeneration) this.catalog = catalog;
    return catalog;
  }
}

/**
 * Item ids for a new look-ahead: a decision the previous look-ahead already held (same track, reason, playlist and
 * request) keeps its id, so a report of it under the old id still commits, and the daemon keeps it decoded.
 */
export function keepItemIds(decisions: readonly Decision[], previous: readonly PlannedItem[], applied: readonly string[]): PlannedItem[] {
  const unused = previous.filter((item) => !applied.includes(item.itemId));
  return decisions.map((decision) => {
    const index = unused.findIndex((item) => sameDecision(item, decision));
    const itemId = index >= 0 ? unused.splice(index, 1)[0].itemId : randomUUID();
    return { ...decision, itemId };
  });
}

function sameDecision(a: Decision, b: Decision): boolean {
  return a.trackId === b.trackId && a.reason === b.reason && a.playlistId === b.playlistId && a.queueItemId === b.queueItemId;
}
