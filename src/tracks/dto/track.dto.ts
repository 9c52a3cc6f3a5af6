import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_JSON_ARRAY_ITEMS } from '../../common/json-body-limits.js';
import { HasNoControlCharacters, IsArrayOfStrings, IsOptionalNonNull } from '../../common/validators.js';
import type { LibraryTrack } from '../../contracts/track-library.js';
import { TRACK_SORTS, type TrackSort } from '../../repositories/track.repository.js';

/** Labels per track, and characters per label. */
export const MAX_TAGS = 32;
export const MAX_TAG_CHARACTERS = 64;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export class TrackDto implements LibraryTrack {
  @ApiProperty({ example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01' })
  id!: string;

  @ApiProperty({ description: "The file's title tag; without one, the file's name without its extension", example: 'Night Drive' })
  title!: string;

  @ApiProperty({ example: 'Wave Ensemble' })
  artist!: string;

  @ApiProperty({ description: "The file's album tag ('' when it has none)", example: 'Late Hours' })
  album!: string;

  @ApiProperty({ description: "The file's genre tag ('' when it has none)", example: 'Synthwave' })
  genre!: string;

  @ApiProperty({
    type: [String],
    description: "The operator's labels (programming picks tracks by them); first read from the file's grouping or mood tag",
    example: ['night', 'instrumental'],
  })
  tags!: string[];

  @ApiProperty({ description: 'Absolute, or relative to DATA_DIR/tracks (uploads)', example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01.mp3' })
  path!: string;

  @ApiProperty({ description: 'Seconds (ffprobe)', example: 215.4 })
  duration!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  addedAt!: string;
}

export class TrackListDto {
  @ApiProperty({ type: [TrackDto], description: 'In play order' })
  tracks!: TrackDto[];
}

export class TrackPageDto {
  @ApiProperty({ type: [TrackDto], description: 'One page, in the order asked for (play order by default)' })
  tracks!: TrackDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` (with the same other parameters) for the next page; null on the last page',
    example: 'eyJ2IjoxLCJzIjoicG9zaXRpb24iLCJvIjoiYXNjIn0',
  })
  nextCursor!: string | null;

  @ApiProperty({ description: 'Tracks matching the filter, on every page', example: 1234 })
  total!: number;
}

export class ListTracksQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Tracks per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  cursor?: string;

  @ApiPropertyOptional({ enum: TRACK_SORTS, default: 'position', description: '`position` is the play order' })
  @IsOptional()
  @IsIn(TRACK_SORTS)
  sort?: TrackSort;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({
    description: 'Words that must each appear in the title, artist, album or genre (case-insensitive)',
    example: 'night drive',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @HasNoControlCharacters()
  search?: string;

  @ApiPropertyOptional({ description: 'Exactly this genre (case-insensitive)', example: 'Synthwave' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  genre?: string;

  @ApiPropertyOptional({ description: 'Exactly this album (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  album?: string;

  @ApiPropertyOptional({ description: 'Exactly this artist (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  artist?: string;

  @ApiPropertyOptional({ description: 'Tracks carrying this label', example: 'night' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TAG_CHARACTERS)
  @HasNoControlCharacters()
  tag?: string;
}

export class AddTrackDto {
  @ApiProperty({
    description:
      'An audio file on the server: absolute, or relative to DATA_DIR/tracks. System folders (/proc, /sys, /dev, /etc, /boot, /run) are refused.',
    example: '/srv/music/night-drive.mp3',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @HasNoControlCharacters()
  path!: string;

  @ApiPropertyOptional({ description: 'Overrides the title tag', example: 'Night Drive' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  title?: string;

  @ApiPropertyOptional({ description: 'Overrides the artist tag', example: 'Wave Ensemble' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  artist?: string;
}

export class UpdateTrackDto {
  @ApiPropertyOptional({ example: 'Night Drive (edit)' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  title?: string;

  @ApiPropertyOptional({ example: 'Wave Ensemble' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  artist?: string;

  @ApiPropertyOptional({ example: 'Late Hours' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  album?: string;

  @ApiPropertyOptional({ example: 'Synthwave' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @HasNoControlCharacters()
  genre?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description: 'Replaces the labels', example: ['night'] })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsArrayOfStrings(MAX_TAG_CHARACTERS)
  tags?: string[];
}

export class ReorderTracksDto {
  @ApiProperty({ type: [String], maxItems: MAX_JSON_ARRAY_ITEMS, description: 'Every track id, each once, in the new play order' })
  @IsArray()
  @ArrayMaxSize(MAX_JSON_ARRAY_ITEMS)
  @IsArrayOfStrings(128)
  trackIds!: string[];
}
