import { Type } from 'class-transformer';
import { IsArray, IsISO8601, IsNumber, IsString, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';
import { TRACK_LIBRARY_FILE, type LibraryTrack, type TrackLibraryFile } from '../contracts/track-library.js';

/** One track of the library. Files live under `DATA_DIR/tracks`; the array order is the play order. */
export class AudioTrack implements LibraryTrack {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  id!: string;

  @IsString()
  @MaxLength(512)
  title!: string;

  @IsString()
  @MaxLength(512)
  artist!: string;

  /** Absolute, or relative to `DATA_DIR/tracks`. */
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  path!: string;

  /** Seconds, from ffprobe. */
  @IsNumber()
  @Min(0)
  duration!: number;

  @IsISO8601()
  addedAt!: string;
}

/**
 * `DATA_DIR/audio-tracks.json`: the track library / playlist. (Now playing, once kept here too, is in
 * now-playing.json; a `nowPlaying` field an older Wave left is no longer read.)
 */
export class AudioTracksDocument implements TrackLibraryFile {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AudioTrack)
  tracks!: AudioTrack[];
}

export const AUDIO_TRACKS_DOCUMENT: DocumentDefinition<AudioTracksDocument> = {
  file: TRACK_LIBRARY_FILE,
  schema: AudioTracksDocument,
  defaults: () => ({ tracks: [] }),
};
