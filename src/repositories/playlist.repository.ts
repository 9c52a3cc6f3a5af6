import { Injectable } from '@nestjs/common';
import { type Kysely, sql, type SqlBool, type Transaction } from 'kysely';
import { Database, databaseError } from '../database/database.js';
import type { PlaylistsTable, WaveDatabase } from '../database/schema.js';
import type { Playlist, PlaylistKind } from '../contracts/programme.js';

/** A playlist without its track ids: what a list of every playlist shows (a rotation may hold 50,000 tracks). */
export type PlaylistSummary = Omit<Playlist, 'trackIds'> & { trackCount: number };

/** A playlist with its tracks and their count. */
export type PlaylistWithCount = Playlist & { trackCount: number };

/** The stored fields of a playlist (its tracks are changed through the membership methods). */
export type PlaylistFields = Omit<Playlist, 'id' | 'trackIds' | 'createdAt' | 'updatedAt'>;

/** Why a membership change was refused; when it is, nothing was written. */
export type MembershipRefusal =
  | { reason: 'playlist_missing' }
  | { reason: 'unknown_tracks'; trackIds: string[] }
  | { reason: 'already_members'; trackIds: string[] }
  | { reason: 'position_out_of_range'; length: number };

export type MembershipOutcome = { ok: true; playlist: PlaylistWithCount } | ({ ok: false } & MembershipRefusal);

/**
 * The event loop's turn between the statements of a long change (10,000 ids are 20 of each): SQLite answers at once,
 * and awaiting its answers alone never lets another request in.
 */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Memberships per read statement: a page of the covering index, a few ms of SQLite. */
const READ_PAGE = 2_000;

/** Ids per `IN (…)` list and rows per insert: far under both databases' bound-parameter limits. */
const CHUNK = 500;

/**
 * Playlists and their tracks (`playlists`, `playlist_tracks`): the only code that queries them. A membership's
 * `position` orders a playlist's tracks; positions may have gaps (a removed track leaves one, so removing shifts
 * nothing), and an insert shifts the positions at and after its place. Every change is one transaction that checks
 * what it needs (the playlist, the tracks) first: refused, it writes nothing.
 */
@Injectable()
export class PlaylistRepository {
  private readonly db: Kysely<WaveDatabase>;
  private readonly dialect: Database['dialect'];

  constructor(database: Database) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  /** Every playlist with its track ids in order, in two statements (the decider reads them all at once). */
  async all(): Promise<Playlist[]> {
    try {
      const rows = await this.db.selectFrom('playlists').selectAll().orderBy('created_at').orderBy('id').execute();
      const ids = new Map<string, string[]>(rows.map((row) => [row.id, []]));
      // Every membership in pages of the covering index (50,000 rows in one statement held the loop for ~70 ms).
      let after: { playlistId: string; position: number; trackId: string } | null = null;
      for (;;) {
        let page = this.db.selectFrom('playlist_tracks').select(['playlist_id', 'position', 'track_id']);
        if (after)
          page = page.where(sql<SqlBool>`(playlist_id, position, track_id) > (${after.playlistId}, ${after.position}, ${after.trackId})`);
        const members = await page.orderBy('playlist_id').orderBy('position').orderBy('track_id').limit(READ_PAGE).execute();
        for (const member of members) ids.get(member.playlist_id)?.push(member.track_id);
        if (members.length < READ_PAGE) break;
        const last = members[members.length - 1];
        after = { playlistId: last.playlist_id, position: Number(last.position), trackId: last.track_id };
        await turn();
      }
      return rows.map((row) => toPlaylist(row, ids.get(row.id) ?? []));
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Every playlist with its number of tracks (no ids), oldest first. */
  async list(): Promise<PlaylistSummary[]> {
    try {
      const rows = await this.db.selectFrom('playlists').selectAll().orderBy('created_at').orderBy('id').execute();
      const counts = await this.db
        .selectFrom('playlist_tracks')
        .select(['playlist_id', (eb) => eb.fn.countAll().as('n')])
        .groupBy('playlist_id')
        .execute();
      const count = new Map(counts.map((c) => [c.playlist_id, Number(c.n)]));
      return rows.map((row) => ({ ...toFields(row), trackCount: count.get(row.id) ?? 0 }));
    } catch (error) {
      throw databaseError(error);
    }
  }

  async get(id: string): Promise<PlaylistWithCount | null> {
    try {
      return await read(this.db, id);
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The names of these playlists, by id (those that exist). */
  async names(ids: string[]): Promise<Map<string, string>> {
    try {
      const names = new Map<string, string>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await this.db
          .selectFrom('playlists')
          .select(['id', 'name'])
          .where('id', 'in', ids.slice(i, i + CHUNK))
          .execute();
        for (const row of rows) names.set(row.id, row.name);
      }
      return names;
    } catch (error) {
      throw databaseError(error);
    }
  }

  async create(id: string, fields: PlaylistFields, at: string): Promise<PlaylistWithCount> {
    try {
      await this.db
        .insertInto('playlists')
        .values({ id, ...toColumns(fields), created_at: at, updated_at: at })
        .execute();
      return { id, ...fields, trackIds: [], trackCount: 0, createdAt: at, updatedAt: at };
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * Replaces the playlist's fields with what `change` makes of the stored ones (it may throw to refuse: nothing is
   * written then). Null when there is no such playlist.
   */
  async update(id: string, change: (current: Playlist) => PlaylistFields, at: string): Promise<PlaylistWithCount | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const current = await read(trx, id);
        if (!current) return null;
        const fields = change(current);
        await trx
          .updateTable('playlists')
          .set({ ...toColumns(fields), updated_at: at })
          .where('id', '=', id)
          .execute();
        return { ...current, ...fields, updatedAt: at };
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** Removes the playlist, its memberships and its schedule entries; the ids of those entries, or null when there was no such playlist. */
  async remove(id: string): Promise<{ scheduleEntryIds: string[] } | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const entries = await trx.selectFrom('schedule_entries').select('id').where('playlist_id', '=', id).execute();
        // Explicit rather than left to the cascade: the same statements whatever the connection's foreign-key setting.
        await trx.deleteFrom('schedule_entries').where('playlist_id', '=', id).execute();
        await trx.deleteFrom('playlist_tracks').where('playlist_id', '=', id).execute();
        const [result] = await trx.deleteFrom('playlists').where('id', '=', id).execute();
        return Number(result?.numDeletedRows ?? 0) > 0 ? { scheduleEntryIds: entries.map((e) => e.id) } : null;
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /** The playlist's tracks become `trackIds`, in that order (distinct ids: the caller checked). */
  async replaceTracks(id: string, trackIds: string[], at: string): Promise<MembershipOutcome> {
    return this.membership(id, trackIds, at, async (trx) => {
      // A chunk at a time: deleting 10,000 memberships in one statement held the event loop for ~25 ms.
      for (;;) {
        const chunk = await trx.selectFrom('playlist_tracks').select('track_id').where('playlist_id', '=', id).limit(CHUNK).execute();
        if (chunk.length === 0) break;
        await trx
          .deleteFrom('playlist_tracks')
          .where('playlist_id', '=', id)
          .where(
            'track_id',
            'in',
            chunk.map((row) => row.track_id),
          )
          .execute();
        await turn();
      }
      await insertMembers(trx, id, trackIds, 0);
      return null;
    });
  }

  /**
   * Puts `trackIds` (distinct, none in the playlist yet) at `position` (0 first, the track count or undefined: at
   * the end), the tracks from there on after them.
   */
  async addTracks(id: string, trackIds: string[], position: number | undefined, at: string): Promise<MembershipOutcome> {
    return this.membership(id, trackIds, at, async (trx, length) => {
      if (position !== undefined && position > length) return { reason: 'position_out_of_range', length };
      const members = new Set<string>();
      for (let i = 0; i < trackIds.length; i += CHUNK) {
        const rows = await trx
          .selectFrom('playlist_tracks')
          .select('track_id')
          .where('playlist_id', '=', id)
          .where('track_id', 'in', trackIds.slice(i, i + CHUNK))
          .execute();
        for (const row of rows) members.add(row.track_id);
        await turn();
      }
      if (members.size > 0) return { reason: 'already_members', trackIds: trackIds.filter((t) => members.has(t)) };
      // The stored position of the track now at `position` (positions may have gaps); the tracks from it on move up.
      const at_ =
        position === undefined || position === length
          ? undefined
          : await trx
              .selectFrom('playlist_tracks')
              .select('position')
              .where('playlist_id', '=', id)
              .orderBy('position')
              .orderBy('track_id')
              .limit(1)
              .offset(position)
              .executeTakeFirst();
      let first: number;
      if (at_) {
        first = Number(at_.position);
        await trx
          .updateTable('playlist_tracks')
          .set((eb) => ({ position: eb('position', '+', trackIds.length) }))
          .where('playlist_id', '=', id)
          .where('position', '>=', first)
          .execute();
      } else {
        const { last } = await trx
          .selectFrom('playlist_tracks')
          .select((eb) => eb.fn.max('position').as('last'))
          .where('playlist_id', '=', id)
          .executeTakeFirstOrThrow();
        first = last === null || last === undefined ? 0 : Number(last) + 1;
      }
      await insertMembers(trx, id, trackIds, first);
      return null;
    });
  }

  /** Takes one track out of the playlist: `removed`, or why not. */
  async removeTrack(id: string, trackId: string, at: string): Promise<'removed' | 'playlist_missing' | 'not_member'> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        if (!(await trx.selectFrom('playlists').select('id').where('id', '=', id).executeTakeFirst())) return 'playlist_missing';
        const [result] = await trx.deleteFrom('playlist_tracks').where('playlist_id', '=', id).where('track_id', '=', trackId).execute();
        if (Number(result?.numDeletedRows ?? 0) === 0) return 'not_member';
        await trx.updateTable('playlists').set({ updated_at: at }).where('id', '=', id).execute();
        return 'removed';
      });
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * One membership change in a transaction: the playlist must exist and every track id be a library track; then
   * `write` (given the playlist's current length) writes, or refuses. Refused, nothing is written.
   */
  private async membership(
    id: string,
    trackIds: string[],
    at: string,
    write: (trx: Transaction<WaveDatabase>, length: number) => Promise<MembershipRefusal | null>,
  ): Promise<MembershipOutcome> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<MembershipOutcome> => {
        if (!(await lockPlaylist(trx, id, this.dialect))) return { ok: false, reason: 'playlist_missing' };
        const known = new Set<string>();
        for (let i = 0; i < trackIds.length; i += CHUNK) {
          const rows = await trx
            .selectFrom('tracks')
            .select('id')
            .where('id', 'in', trackIds.slice(i, i + CHUNK))
            .execute();
          for (const row of rows) known.add(row.id);
          await turn();
        }
        const unknown = trackIds.filter((t) => !known.has(t));
        if (unknown.length > 0) return { ok: false, reason: 'unknown_tracks', trackIds: unknown };
        const refusal = await write(trx, await countMembers(trx, id));
        // Thrown, so the transaction rolls back whatever `write` did before it refused.
        if (refusal) throw new Refused(refusal);
        await trx.updateTable('playlists').set({ updated_at: at }).where('id', '=', id).execute();
        return { ok: true, playlist: (await read(trx, id))! };
      });
    } catch (error) {
      if (error instanceof Refused) return { ok: false, ...error.refusal };
      throw databaseError(error);
    }
  }
}

class Refused extends Error {
  constructor(readonly refusal: MembershipRefusal) {
    super(refusal.reason);
  }
}

/**
 * Whether the playlist exists; on PostgreSQL its row is locked for the transaction, so two membership changes of one
 * playlist (from any instance) run one after the other, each reading the positions the other left. SQLite's one
 * connection runs one transaction at a time anyway.
 */
async function lockPlaylist(trx: Transaction<WaveDatabase>, id: string, dialect: Database['dialect']): Promise<boolean> {
  let select = trx.selectFrom('playlists').select('id').where('id', '=', id);
  if (dialect === 'postgres') select = select.forUpdate();
  return (await select.executeTakeFirst()) !== undefined;
}

async function read(db: Kysely<WaveDatabase>, id: string): Promise<PlaylistWithCount | null> {
  const row = await db.selectFrom('playlists').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const trackIds: string[] = [];
  let after: { position: number; trackId: string } | null = null;
  for (;;) {
    let page = db.selectFrom('playlist_tracks').select(['position', 'track_id']).where('playlist_id', '=', id);
    if (after) page = page.where(sql<SqlBool>`(position, track_id) > (${after.position}, ${after.trackId})`);
    const members = await page.orderBy('position').orderBy('track_id').limit(READ_PAGE).execute();
    for (const member of members) trackIds.push(member.track_id);
    if (members.length < READ_PAGE) break;
    const last = members[members.length - 1];
    after = { position: Number(last.position), trackId: last.track_id };
    await turn();
  }
  return { ...toPlaylist(row, trackIds), trackCount: trackIds.length };
}

async function countMembers(db: Kysely<WaveDatabase>, id: string): Promise<number> {
  const { n } = await db
    .selectFrom('playlist_tracks')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('playlist_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(n);
}

async function insertMembers(db: Kysely<WaveDatabase>, playlistId: string, trackIds: string[], first: number): Promise<void> {
  for (let i = 0; i < trackIds.length; i += CHUNK) {
    const rows = trackIds
      .slice(i, i + CHUNK)
      .map((trackId, j) => ({ playlist_id: playlistId, track_id: trackId, position: first + i + j }));
    await db.insertInto('playlist_tracks').values(rows).execute();
    await turn();
  }
}

function toColumns(fields: PlaylistFields): Omit<PlaylistsTable, 'id' | 'created_at' | 'updated_at'> {
  return {
    name: fields.name,
    kind: fields.kind,
    enabled: fields.enabled ? 1 : 0,
    weight: fields.weight,
    artist_separation: fields.artistSeparation,
    every_tracks: fields.everyTracks,
    every_minutes: fields.everyMinutes,
    minute: fields.minute,
  };
}

function toFields(row: PlaylistsTable): Omit<Playlist, 'trackIds'> {
  const orNull = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as PlaylistKind,
    enabled: Number(row.enabled) === 1,
    weight: Number(row.weight),
    artistSeparation: Number(row.artist_separation),
    everyTracks: orNull(row.every_tracks),
    everyMinutes: orNull(row.every_minutes),
    minute: orNull(row.minute),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toPlaylist(row: PlaylistsTable, trackIds: string[]): Playlist {
  return { ...toFields(row), trackIds };
}
