import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import {
  PlaylistRepository,
  type MembershipOutcome,
  type PlaylistFields,
  type PlaylistWithCount,
} from '../repositories/playlist.repository.js';
import type {
  AddPlaylistTracksDto,
  CreatePlaylistDto,
  PlaylistListDto,
  PlaylistSettingsDto,
  UpdatePlaylistDto,
} from './dto/playlist.dto.js';
import { firstFew, playlistNotFound, unknownTracks } from './programme-errors.js';
import type { Playlist, PlaylistKind } from './programme.model.js';

type KindField = 'weight' | 'artistSeparation' | 'everyTracks' | 'everyMinutes' | 'minute';
const KIND_FIELDS: Record<PlaylistKind, KindField[]> = {
  rotation: ['weight', 'artistSeparation'],
  ordered: [],
  jingle: ['everyTracks', 'everyMinutes'],
  hourly: ['minute'],
};
const ARTICLE: Record<PlaylistKind, string> = { rotation: 'a', ordered: 'an', jingle: 'a', hourly: 'an' };
const ALL_KIND_FIELDS: KindField[] = ['weight', 'artistSeparation', 'everyTracks', 'everyMinutes', 'minute'];

/**
 * Playlists and their tracks. Each kind has its own fields (rotation: weight, artistSeparation; jingle: everyTracks
 * and/or everyMinutes; hourly: minute); a field of another kind is refused, and the fields of other kinds are stored
 * at their defaults. Every change is raised as `playlists.updated` once written (the programme decides again).
 */
@Injectable()
export class PlaylistsService {
  constructor(
    private readonly playlists: PlaylistRepository,
    private readonly events: WaveEvents,
  ) {}

  async list(): Promise<PlaylistListDto> {
    return { playlists: await this.playlists.list() };
  }

  async get(id: string): Promise<PlaylistWithCount> {
    const playlist = await this.playlists.get(id);
    if (!playlist) throw playlistNotFound(id);
    return playlist;
  }

  async create(dto: CreatePlaylistDto): Promise<PlaylistWithCount> {
    const fields = kindFields(dto.kind, dto, {});
    const created = await this.playlists.create(randomUUID(), { name: dto.name, enabled: dto.enabled ?? true, ...fields }, now());
    this.changed('created', [created.id]);
    return created;
  }

  async update(id: string, dto: UpdatePlaylistDto): Promise<PlaylistWithCount> {
    const updated = await this.playlists.update(
      id,
      (current) => {
        const kind = dto.kind ?? current.kind;
        // A new kind starts from its defaults: the old kind's fields mean nothing to it.
        const kept = kind === current.kind ? current : {};
        return { name: dto.name ?? current.name, enabled: dto.enabled ?? current.enabled, ...kindFields(kind, dto, kept) };
      },
      now(),
    );
    if (!updated) throw playlistNotFound(id);
    this.changed('updated', [id]);
    return updated;
  }

  /** Removes the playlist, its tracks' memberships and its schedule entries. */
  async remove(id: string): Promise<void> {
    const removed = await this.playlists.remove(id);
    if (!removed) throw playlistNotFound(id);
    this.changed('deleted', [id]);
    if (removed.scheduleEntryIds.length > 0)
      this.events.emit('schedule.updated', { reason: 'deleted', entryIds: removed.scheduleEntryIds, at: now() });
  }

  /** The playlist holds `trackIds`, in that order, and nothing else. */
  async setTracks(id: string, trackIds: string[]): Promise<PlaylistWithCount> {
    checkDistinct(trackIds);
    return this.membership(id, await this.playlists.replaceTracks(id, trackIds, now()));
  }

  /** Adds `trackIds` (none in the playlist yet) at `position` (the end without one). */
  async addTracks(id: string, dto: AddPlaylistTracksDto): Promise<PlaylistWithCount> {
    checkDistinct(dto.trackIds);
    return this.membership(id, await this.playlists.addTracks(id, dto.trackIds, dto.position, now()));
  }

  async removeTrack(id: string, trackId: string): Promise<PlaylistWithCount> {
    const outcome = await this.playlists.removeTrack(id, trackId, now());
    if (outcome === 'playlist_missing') throw playlistNotFound(id);
    if (outcome === 'not_member') throw new WaveError(404, 'playlist_track_not_found', `Playlist ${id} does not hold track ${trackId}`);
    this.changed('tracks', [id]);
    return this.get(id);
  }

  private membership(id: string, outcome: MembershipOutcome): PlaylistWithCount {
    if (outcome.ok) {
      this.changed('tracks', [id]);
      return outcome.playlist;
    }
    switch (outcome.reason) {
      case 'playlist_missing':
        throw playlistNotFound(id);
      case 'unknown_tracks':
        throw unknownTracks('trackIds', outcome.trackIds);
      case 'already_members':
        throw new WaveError(
          409,
          'track_in_playlist',
          firstFew(
            outcome.trackIds,
            (trackId) => `trackIds names track ${trackId}, which the playlist holds already`,
            (n) => `trackIds names ${n} more tracks the playlist holds already`,
          ),
        );
      case 'position_out_of_range':
        throw new WaveError(400, 'invalid_position', [
          `position must not be greater than the playlist's length, ${outcome.length} (the end)`,
        ]);
    }
  }

  private changed(reason: WaveEventMap['playlists.updated']['reason'], playlistIds: string[]): void {
    this.events.emit('playlists.updated', { reason, playlistIds, at: now() });
  }
}

const now = () => new Date().toISOString();

/** A track once per playlist: 400 `duplicate_track` naming the repeated ids. */
function checkDistinct(trackIds: string[]): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of trackIds) (seen.has(id) ? repeated : seen).add(id);
  if (repeated.size > 0)
    throw new WaveError(
      400,
      'duplicate_track',
      firstFew(
        [...repeated],
        (id) => `trackIds names track ${id} more than once (a playlist holds a track once)`,
        (n) => `trackIds names ${n} more tracks more than once`,
      ),
    );
}

/**
 * The kind's own fields from what was `given` over what is `kept` (the stored playlist, when its kind stays), the
 * other kinds' at their defaults. A given field of another kind, or a kind's required field missing, is 400
 * `invalid_playlist` naming it.
 */
export function kindFields(
  kind: PlaylistKind,
  given: PlaylistSettingsDto,
  kept: Partial<Pick<Playlist, KindField>>,
): Omit<PlaylistFields, 'name' | 'enabled' | 'kind'> & { kind: PlaylistKind } {
  const problems = ALL_KIND_FIELDS.filter((field) => given[field] !== undefined && !KIND_FIELDS[kind].includes(field)).map(
    (field) => `${field} does not apply to ${ARTICLE[kind]} ${kind} playlist (${kindsOf(field)} only)`,
  );
  const pick = (field: KindField) => (KIND_FIELDS[kind].includes(field) ? (given[field] ?? kept[field] ?? null) : null);
  const fields = {
    kind,
    weight: pick('weight') ?? 1,
    artistSeparation: pick('artistSeparation') ?? 0,
    everyTracks: pick('everyTracks'),
    everyMinutes: pick('everyMinutes'),
    minute: pick('minute'),
  };
  if (problems.length === 0 && kind === 'jingle' && fields.everyTracks === null && fields.everyMinutes === null)
    problems.push('a jingle playlist needs everyTracks (1–100), everyMinutes (1–1440) or both');
  if (problems.length === 0 && kind === 'hourly' && fields.minute === null) problems.push('an hourly playlist needs minute (0–59)');
  if (problems.length > 0) throw new WaveError(400, 'invalid_playlist', problems);
  return fields;
}

function kindsOf(field: KindField): string {
  return (Object.keys(KIND_FIELDS) as PlaylistKind[]).filter((kind) => KIND_FIELDS[kind].includes(field)).join(', ');
}
