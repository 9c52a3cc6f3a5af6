import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { extname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTROL_CHARACTERS } from '../common/validators.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { DocumentStore } from '../documents/document-store.service.js';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { TRACKS_DIR } from '../contracts/track-library.js';
import { AUDIO_TRACKS_DOCUMENT, type AudioTrack } from './audio-tracks.document.js';
import type { TrackLibrary } from './track-library.js';
import type { AddTrackDto, UpdateTrackDto } from './dto/track.dto.js';
import { MediaProbeService, type AudioMetadata } from '../media/media-probe.service.js';
import { isInside, resolveServerFile } from '../media/server-file.js';
import { StorageRepository } from '../repositories/storage.repository.js';

const MAX_TAG_LENGTH = 512;

/**
 * The track library (`DATA_DIR/audio-tracks.json`; uploads under `DATA_DIR/tracks`). A file is taken only
 * when ffprobe finds audio in it. Every change is raised as `tracks.updated` (the Telegram stream reloads its
 * playlist on it).
 */
@Injectable()
export class TracksService implements TrackLibrary {
  private readonly logger = new Logger(TracksService.name);
  private readonly tracksDir: string;
  private readonly pendingAppends: Array<{ track: AudioTrack; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly store: DocumentStore,
    private readonly config: AppConfig,
    private readonly probe: MediaProbeService,
    private readonly events: WaveEvents,
    private readonly storage: StorageRepository,
  ) {
    this.tracksDir = join(config.dataDir, TRACKS_DIR);
  }

  async list(): Promise<AudioTrack[]> {
    return (await this.store.read(AUDIO_TRACKS_DOCUMENT)).tracks;
  }

  async trackCount(): Promise<number> {
    return (await this.list()).length;
  }

  /** Adds a file already on the server (absolute, or relative to DATA_DIR/tracks). */
  async addByPath(dto: AddTrackDto): Promise<AudioTrack> {
    const file = await resolveServerFile(
      dto.path,
      { field: 'path', code: 'invalid_path', baseDir: this.tracksDir, baseName: 'DATA_DIR/tracks' },
      this.storage,
    );
    const metadata = await this.probeOrReject(file);
    const inTracksDir = isInside(this.tracksDir, file);
    return this.append(inTracksDir ? relative(this.tracksDir, file) : file, metadata, dto);
  }

  /** Stores an uploaded file (multipart field `file`; optional `title`/`artist` fields before it). */
  async upload(request: FastifyRequest): Promise<AudioTrack> {
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
      return await this.append(`${id}${extension}`, metadata, given, id);
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

  async update(id: string, dto: UpdateTrackDto): Promise<AudioTrack> {
    let updated: AudioTrack | undefined;
    await this.store.update(AUDIO_TRACKS_DOCUMENT, (doc) => {
      const track = doc.tracks.find((t) => t.id === id);
      if (!track) throw notFound(id);
      updated = { ...track, ...(dto.title !== undefined && { title: dto.title }), ...(dto.artist !== undefined && { artist: dto.artist }) };
      return { ...doc, tracks: doc.tracks.map((t) => (t.id === id ? updated! : t)) };
    });
    this.changed('updated', [id]);
    return updated!;
  }

  /** Removes a track (and its file when Wave stored it). The daemon finishes a playing track undisturbed. */
  async remove(id: string): Promise<void> {
    let removed: AudioTrack | undefined;
    await this.store.update(AUDIO_TRACKS_DOCUMENT, (doc) => {
      removed = doc.tracks.find((t) => t.id === id);
      if (!removed) throw notFound(id);
      return { ...doc, tracks: doc.tracks.filter((t) => t.id !== id) };
    });
    // Uploads are Wave's own files; a playing decoder keeps its open file until the track ends.
    if (removed && isUpload(removed)) await this.storage.remove(join(this.tracksDir, removed.path));
    this.changed('deleted', [id]);
  }

  /** Puts the tracks in the given order; `trackIds` must name every track exactly once. */
  async reorder(trackIds: string[]): Promise<AudioTrack[]> {
    const doc = await this.store.update(AUDIO_TRACKS_DOCUMENT, (current) => {
      // Sets and one pass each: with includes/indexOf, 100,000 ids held the event loop for seconds.
      const byId = new Map(current.tracks.map((t) => [t.id, t]));
      const given = new Set<string>();
      const duplicated = new Set<string>();
      for (const id of trackIds) (given.has(id) ? duplicated : given).add(id);
      const unknown = [...given].filter((id) => !byId.has(id));
      const missing = current.tracks.filter((t) => !given.has(t.id)).map((t) => t.id);
      if (unknown.length + missing.length + duplicated.size > 0) {
        throw new WaveError(409, 'order_mismatch', [
          ...firstFew(
            unknown,
            (id) => `trackIds names an unknown track ${id}`,
            (n) => `trackIds names ${n} more unknown tracks`,
          ),
          ...firstFew(
            missing,
            (id) => `trackIds leaves out track ${id}`,
            (n) => `trackIds leaves out ${n} more tracks`,
          ),
          ...firstFew(
            [...duplicated],
            (id) => `trackIds names track ${id} more than once`,
            (n) => `trackIds names ${n} more tracks more than once`,
          ),
        ]);
      }
      return { ...current, tracks: trackIds.map((id) => byId.get(id)!) };
    });
    this.changed('reordered', trackIds);
    return doc.tracks;
  }

  private async append(
    path: string,
    metadata: AudioMetadata,
    given: { title?: string; artist?: string },
    id: string = randomUUID(),
  ): Promise<AudioTrack> {
    const track: AudioTrack = {
      id,
      title: given.title ?? metadata.title.slice(0, MAX_TAG_LENGTH),
      artist: given.artist ?? metadata.artist.slice(0, MAX_TAG_LENGTH),
      path,
      duration: metadata.duration,
      addedAt: new Date().toISOString(),
    };
    await new Promise<void>((resolve, reject) => {
      this.pendingAppends.push({ track, resolve, reject });
      void this.flushAppends();
    });
    this.changed('added', [track.id]);
    return track;
  }

  /**
   * Group commit: adds that arrive while the document is being written go into the next write together,
   * so a burst of adds costs a few fsyncs rather than one each. Each caller is answered after its write.
   */
  private async flushAppends(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pendingAppends.length > 0) {
        const batch = this.pendingAppends.splice(0);
        try {
          await this.store.update(AUDIO_TRACKS_DOCUMENT, (doc) => ({ ...doc, tracks: [...doc.tracks, ...batch.map((b) => b.track)] }));
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private changed(reason: WaveEventMap['tracks.updated']['reason'], trackIds: string[]): void {
    void this.store.read(AUDIO_TRACKS_DOCUMENT).then(
      ({ tracks }) => this.events.emit('tracks.updated', { reason, trackIds, count: tracks.length, at: new Date().toISOString() }),
      (error: Error) => this.logger.warn(`tracks.updated not raised: ${error.message}`),
    );
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

/** Uploads are stored as `<id><extension>` in DATA_DIR/tracks; files added by path belong to the operator. */
function isUpload(track: AudioTrack): boolean {
  return track.path === `${track.id}${extname(track.path)}`;
}

/** Messages for the first few items and one line for the rest: an order of 10,000 wrong ids is not a 10,000-line answer. */
const LISTED_MISMATCHES = 20;
function firstFew(items: string[], one: (item: string) => string, rest: (count: number) => string): string[] {
  const shown = items.slice(0, LISTED_MISMATCHES).map(one);
  return items.length > LISTED_MISMATCHES ? [...shown, rest(items.length - LISTED_MISMATCHES)] : shown;
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
