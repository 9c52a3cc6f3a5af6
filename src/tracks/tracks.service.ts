import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { basename, extname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTROL_CHARACTERS } from '../common/validators.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { TRACKS_DIR, type LibraryTrack } from '../contracts/track-library.js';
import type { TrackLibrary } from './track-library.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_TAG_CHARACTERS,
  MAX_TAGS,
  type AddTrackDto,
  type ListTracksQueryDto,
  type TrackDto,
  type TrackPageDto,
  type UpdateTrackDto,
} from './dto/track.dto.js';
import { TrackAnalysisService } from './analysis/track-analysis.service.js';
import { decodeTrackCursor, encodeTrackCursor } from './track-cursor.js';
import { LibrarySnapshotService } from './library-snapshot.service.js';
import { TrackRepository, type StoredTrack, type TrackFilter, type TrackPageQuery } from '../repositories/track.repository.js';
import { MediaProbeService, type AudioMetadata } from '../media/media-probe.service.js';
import { isInside, resolveServerFile } from '../media/server-file.js';
import { StorageRepository, type FileInfo } from '../repositories/storage.repository.js';

export const MAX_TAG_LENGTH = 512;

/**
 * The track library, in the database (TrackRepository); uploads under `DATA_DIR/tracks`. A file is taken only
 * when ffprobe finds audio in it. Every change is raised as `tracks.updated` (LibrarySnapshotService then
 * rewrites `audio-tracks.json`, which the Telegram stream plays from).
 */
@Injectable()
export class TracksService implements TrackLibrary {
  private readonly tracksDir: string;

  constructor(
    private readonly tracks: TrackRepository,
    private readonly config: AppConfig,
    private readonly probe: MediaProbeService,
    private readonly events: WaveEvents,
    private readonly storage: StorageRepository,
    private readonly snapshot: LibrarySnapshotService,
    private readonly analysis: TrackAnalysisService,
  ) {
    this.tracksDir = join(config.dataDir, TRACKS_DIR);
  }

  /** One page of the library; `cursor` continues the list a previous page of the same query began. */
  async list(query: ListTracksQueryDto = {}): Promise<TrackPageDto> {
    const shape = { sort: query.sort ?? 'position', order: query.order ?? 'asc', ...filterOf(query) };
    const after = query.cursor === undefined ? undefined : decodeTrackCursor(query.cursor, shape);
    const [page, total] = await Promise.all([
      this.tracks.page({ ...shape, limit: query.limit ?? DEFAULT_PAGE_SIZE, after }),
      this.tracks.count(filterOf(query)),
    ]);
    return {
      tracks: page.tracks.map((track) => this.view(track)),
      nextCursor: page.last ? encodeTrackCursor(shape, page.last) : null,
      total,
    };
  }

  async get(id: string): Promise<TrackDto> {
    const track = await this.tracks.get(id);
    if (!track) throw notFound(id);
    return this.view(track);
  }

  /** The track as the API shows it: the LibraryTrack, where its cues come from, and its analysis' state. */
  view(track: StoredTrack): TrackDto {
    const { sound, ...libraryTrack } = track;
    const source = (operator: number | null, detected: number | null) =>
      operator !== null ? 'operator' : detected !== null ? 'detected' : null;
    return {
      ...libraryTrack,
      loudness: track.loudness ?? null,
      cueIn: track.cueIn ?? null,
      cueOut: track.cueOut ?? null,
      cueInSource: source(sound.cueInOperator, sound.cueInDetected),
      cueOutSource: source(sound.cueOutOperator, sound.cueOutDetected),
      analysis: {
        status: this.analysis.statusOf(track),
        analysedAt: sound.analysedAt,
        error: sound.error,
        thresholdDb: sound.thresholdDb,
        cueInDetected: sound.cueInDetected,
        cueOutDetected: sound.cueOutDetected,
      },
    };
  }

  async publishPlaylist(): Promise<number> {
    await this.snapshot.flush();
    return this.tracks.count();
  }

  /** Adds a file already on the server (absolute, or relative to DATA_DIR/tracks). */
  async addByPath(dto: AddTrackDto): Promise<TrackDto> {
    const file = await resolveServerFile(
      dto.path,
      { field: 'path', code: 'invalid_path', baseDir: this.tracksDir, baseName: 'DATA_DIR/tracks' },
      this.storage,
    );
    const metadata = await this.probeOrReject(file);
    const info = await this.storage.stat(file);
    const inTracksDir = isInside(this.tracksDir, file);
    return this.append(inTracksDir ? relative(this.tracksDir, file) : file, metadata, dto, basename(file), info);
  }

  /** Stores an uploaded file (multipart field `file`; optional `title`/`artist` fields before it). */
  async upload(request: FastifyRequest): Promise<TrackDto> {
    if (!request.isMultipart()) throw new WaveError(415, 'multipart_required', 'Send the track as multipart/form-data with a `file` field');
    let part: MultipartFile | undefined;
    try {
      part = await request.file({ limits: { fileSize: this.config.trackUploadMaxBytes, files: 1, fields: 4, fieldSize: 4096 } });
    } catch (error) {
      throw new WaveError(400, 'invalid_multipart', `The multipart body could not be read: ${(error as Error).message}`);
    }
    if (!part) throw new WaveError(400, 'file_missing', 'The multipart body has no `file` field');

    await this.storage.mkdir(this.tracksDir);
    const id = randomUUID();
    const extension = safeExtension(part.filename);
    const incoming = join(this.tracksDir, `.incoming-${id}${extension}`);
    const stored = join(this.tracksDir, `${id}${extension}`);
    let received = false;
    try {
      await pipeline(part.file, this.storage.createExclusiveStream(incoming, 0o600));
      received = true;
      if (part.file.truncated) throw this.tooLarge();
      // The same rule as the JSON routes' title and artist (checked once the file is read, so the body is consumed).
      const given = { title: fieldValue(part, 'title'), artist: fieldValue(part, 'artist') };
      for (const [name, value] of Object.entries(given)) {
        if (value !== undefined && CONTROL_CHARACTERS.test(value))
          throw new WaveError(400, 'invalid_multipart', `${name} must not contain control characters (NUL, tab, newline, …)`);
      }
      const metadata = await this.probeOrReject(incoming);
      await this.storage.rename(incoming, stored);
      return await this.append(`${id}${extension}`, metadata, given, part.filename, await this.storage.stat(stored), id);
    } catch (error) {
      await this.storage.remove(incoming);
      await this.storage.remove(stored);
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw this.tooLarge();
      // What the caller's body did wrong (cut short, a broken boundary, the connection dropped) is told apart from
      // what failed on Wave's side by the error itself: the file system's carry the system call (ENOSPC on write).
      // Which stream emitted it cannot tell: pipeline destroys each stream with the other's error.
      if (!received && !(error instanceof WaveError) && typeof (error as NodeJS.ErrnoException).syscall !== 'string') {
        throw new WaveError(400, 'invalid_multipart', `The multipart body ended before the file was complete: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  async update(id: string, dto: UpdateTrackDto): Promise<TrackDto> {
    if (dto.cueIn !== undefined || dto.cueOut !== undefined) {
      const current = await this.tracks.get(id);
      if (!current) throw notFound(id);
      checkCues(current, dto);
    }
    const updated = await this.tracks.update(id, { ...dto, ...(dto.tags !== undefined && { tags: checkTags(dto.tags) }) });
    if (!updated) throw notFound(id);
    await this.changed('updated', [id]);
    return this.view(updated);
  }

  /** Removes a track (and its file when Wave stored it). The daemon finishes a playing track undisturbed. */
  async remove(id: string): Promise<void> {
    const removed = await this.tracks.remove(id);
    if (!removed) throw notFound(id);
    // Uploads are Wave's own files; a playing decoder keeps its open file until the track ends.
    if (isUpload(removed)) await this.storage.remove(join(this.tracksDir, removed.path));
    await this.changed('deleted', [id]);
  }

  /** Puts the tracks in the given order; `trackIds` must name every track exactly once. */
  async reorder(trackIds: string[]): Promise<TrackDto[]> {
    const mismatch = await this.tracks.reorder(trackIds);
    if (mismatch) {
      throw new WaveError(409, 'order_mismatch', [
        ...firstFew(
          mismatch.unknown,
          (id) => `trackIds names an unknown track ${id}`,
          (n) => `trackIds names ${n} more unknown tracks`,
        ),
        ...firstFew(
          mismatch.missing,
          (id) => `trackIds leaves out track ${id}`,
          (n) => `trackIds leaves out ${n} more tracks`,
        ),
        ...firstFew(
          mismatch.duplicated,
          (id) => `trackIds names track ${id} more than once`,
          (n) => `trackIds names ${n} more tracks more than once`,
        ),
      ]);
    }
    await this.changed('reordered', trackIds);
    const ordered: TrackDto[] = [];
    let after: TrackPageQuery['after'];
    do {
      const page = await this.tracks.page({ sort: 'position', order: 'asc', limit: 2_000, after });
      ordered.push(...page.tracks.map((track) => this.view(track)));
      after = page.last ?? undefined;
    } while (after);
    return ordered;
  }

  private async append(
    path: string,
    metadata: AudioMetadata,
    given: { title?: string; artist?: string },
    fileName: string,
    info: FileInfo | null,
    id: string = randomUUID(),
  ): Promise<TrackDto> {
    const track: LibraryTrack = {
      id,
      title: given.title ?? (metadata.title || titleFromFileName(fileName)).slice(0, MAX_TAG_LENGTH),
      artist: given.artist ?? metadata.artist.slice(0, MAX_TAG_LENGTH),
      album: metadata.album.slice(0, MAX_TAG_LENGTH),
      genre: metadata.genre.slice(0, MAX_TAG_LENGTH),
      tags: normalizeTags(metadata.labels),
      path,
      duration: metadata.duration,
      addedAt: new Date().toISOString(),
    };
    await this.tracks.insert([{ ...track, fileSize: info?.size ?? null, fileMtimeMs: info?.mtimeMs ?? null }]);
    await this.changed('added', [track.id]);
    const stored = await this.tracks.get(track.id);
    return stored ? this.view(stored) : this.view({ ...track, loudness: null, cueIn: null, cueOut: null, sound: NOT_MEASURED });
  }

  private async changed(reason: WaveEventMap['tracks.updated']['reason'], trackIds: string[]): Promise<void> {
    // The count after this change (a later change's event carries its own).
    const count = await this.tracks.count().catch(() => -1);
    this.events.emit('tracks.updated', { reason, trackIds, count, at: new Date().toISOString() });
  }

  private async probeOrReject(file: string): Promise<AudioMetadata> {
    const metadata = await this.probe.probeAudio(file);
    if (!metadata) throw new WaveError(415, 'not_audio', 'The file holds no playable audio (checked by ffprobe)');
    return metadata;
  }

  private tooLarge(): WaveError {
    return new WaveError(
      413,
      'file_too_large',
      `The file is larger than the upload limit of ${this.config.trackUploadMaxBytes / 1024 / 1024} MiB (TRACK_UPLOAD_MAX_MB)`,
    );
  }
}

const NOT_MEASURED: StoredTrack['sound'] = {
  analysedAt: null,
  error: null,
  thresholdDb: null,
  cueInDetected: null,
  cueOutDetected: null,
  cueInOperator: null,
  cueOutOperator: null,
};

/**
 * The operator's cues of a PATCH against the track (400 `invalid_cue` naming the field, nothing changed): each within
 * the file (cue-in below its duration, cue-out at most it), and the cue-in before the cue-out that will apply.
 */
export function checkCues(track: StoredTrack, changes: Pick<UpdateTrackDto, 'cueIn' | 'cueOut'>): void {
  const problems: string[] = [];
  const { cueIn, cueOut } = changes;
  if (typeof cueIn === 'number' && !(Number.isFinite(cueIn) && cueIn >= 0 && cueIn < track.duration))
    problems.push(`cueIn must be a number of seconds from 0 to below the duration (${track.duration} s)`);
  if (typeof cueOut === 'number' && !(Number.isFinite(cueOut) && cueOut > 0 && cueOut <= track.duration))
    problems.push(`cueOut must be a number of seconds above 0 and at most the duration (${track.duration} s)`);
  if (problems.length === 0) {
    const effectiveIn = cueIn === undefined ? (track.cueIn ?? null) : (cueIn ?? track.sound.cueInDetected);
    const effectiveOut = cueOut === undefined ? (track.cueOut ?? null) : (cueOut ?? track.sound.cueOutDetected);
    if (effectiveIn !== null && effectiveOut !== null && effectiveIn >= effectiveOut) {
      const field = cueIn !== undefined && cueIn !== null ? 'cueIn' : 'cueOut';
      problems.push(`${field} must leave cueIn (${effectiveIn} s) before cueOut (${effectiveOut} s)`);
    }
  }
  if (problems.length > 0) throw new WaveError(400, 'invalid_cue', problems);
}

/** Uploads are stored as `<id><extension>` in DATA_DIR/tracks; files added by path belong to the operator. */
function isUpload(track: LibraryTrack): boolean {
  return track.path === `${track.id}${extname(track.path)}`;
}

/** Messages for the first few items and one line for the rest: an order of 10,000 wrong ids is not a 10,000-line answer. */
const LISTED_MISMATCHES = 20;
function firstFew(items: string[], one: (item: string) => string, rest: (count: number) => string): string[] {
  const shown = items.slice(0, LISTED_MISMATCHES).map(one);
  return items.length > LISTED_MISMATCHES ? [...shown, rest(items.length - LISTED_MISMATCHES)] : shown;
}

/** A file without a title tag is titled from its own name (an upload's name as sent, not Wave's stored name). */
export function titleFromFileName(fileName: string): string {
  const name = basename(fileName.replace(/\\/g, '/'));
  const stem = name.slice(0, name.length - extname(name).length) || name;
  return stem.replace(/[_]+/g, ' ').trim() || 'Untitled';
}

/** Labels as given in a request: each a non-empty label without control characters (400 `invalid_tags` naming it), then normalized. */
export function checkTags(tags: string[]): string[] {
  tags.forEach((tag, i) => {
    if (CONTROL_CHARACTERS.test(tag))
      throw new WaveError(400, 'invalid_tags', [`tags[${i}] must not contain control characters (NUL, tab, newline, …)`]);
    if (tag.trim() === '') throw new WaveError(400, 'invalid_tags', [`tags[${i}] must not be empty`]);
  });
  return normalizeTags(tags);
}

/** Labels read from a file: trimmed, without control characters or empties, each once, at most MAX_TAGS of MAX_TAG_CHARACTERS. */
export function normalizeTags(labels: string[]): string[] {
  const seen = new Set<string>();
  for (const label of labels) {
    const trimmed = label
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .trim()
      .slice(0, MAX_TAG_CHARACTERS);
    if (trimmed) seen.add(trimmed);
  }
  return [...seen].slice(0, MAX_TAGS);
}

function filterOf(query: ListTracksQueryDto): TrackFilter {
  const { search, genre, album, artist, tag } = query;
  return Object.fromEntries(Object.entries({ search, genre, album, artist, tag }).filter(([, v]) => v !== undefined));
}

function notFound(id: string): WaveError {
  return new WaveError(404, 'track_not_found', `No track with id ${id}`);
}

/** A short alphanumeric extension from the uploaded name, for tools that look at it; the content was probed. */
function safeExtension(filename: string): string {
  const extension = extname(filename).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(extension) ? extension : '';
}

function fieldValue(part: MultipartFile, name: string): string | undefined {
  const field = part.fields[name] as MultipartValue | MultipartValue[] | undefined;
  const value = Array.isArray(field) ? field[0]?.value : field?.value;
  return typeof value === 'string' ? value.slice(0, MAX_TAG_LENGTH) : undefined;
}
