import { Type } from 'class-transformer';
import { IsArray, IsISO8601, IsNumber, IsOptional, IsString, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';
import { TRACK_LIBRARY_FILE } from '../contracts/track-library.js';

/**
 * One track of `audio-tracks.json` as Wave reads it back: the seed's fields, and album, genre and tags
 * (optional, since a file written before them has none).
 */
export class AudioTrackEntry {
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

  @IsOptional()
  @IsString()
  @MaxLength(512)
  album?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  genre?: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[];

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
 * `DATA_DIR/audio-tracks.json`: the seed's library file. The database holds the library; this file is
 * imported into an empty database once, and from then on is a snapshot Wave keeps current for readers
 * outside its process (the Telegram daemon). Now playing, once kept here too, is in now-playing.json.
 */
export class AudioTracksDocument {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AudioTrackEntry)
  tracks!: AudioTrackEntry[];
}

export const AUDIO_TRACKS_DOCUMENT: DocumentDefinition<AudioTracksDocument> = {
  file: TRACK_LIBRARY_FILE,
  schema: AudioTracksDocument,
  defaults: () => ({ tracks: [] }),
};
