import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_JSON_ARRAY_ITEMS } from '../../common/json-body-limits.js';
import { HasNoControlCharacters, IsArrayOfStrings, IsOptionalNonNull } from '../../common/validators.js';
import type { PlaylistSummary, PlaylistWithCount } from '../../repositories/playlist.repository.js';
import { PLAYLIST_KINDS, type PlaylistKind } from '../programme.model.js';

export const MAX_PLAYLIST_NAME = 200;
/** Rotation: its share of the general rotation. */
export const WEIGHT_RANGE = [1, 25] as const;
/** Rotation: tracks between two of the same artist. */
export const ARTIST_SEPARATION_RANGE = [0, 50] as const;
/** Jingle: one after every this many tracks, or minutes. */
export const EVERY_TRACKS_RANGE = [1, 100] as const;
export const EVERY_MINUTES_RANGE = [1, 1440] as const;
/** The longest a track id may be (library ids are UUIDs). */
export const MAX_ID_LENGTH = 128;

const KINDS_DESCRIPTION =
  '`rotation`: shuffled, weighted among the rotations of the general rotation, with an artist rule; `ordered`: in its order; ' +
  '`jingle`: one of its tracks after every `everyTracks` tracks or `everyMinutes` minutes; `hourly`: one of its tracks once an hour from `minute`.';

export class PlaylistSummaryDto implements PlaylistSummary {
  @ApiProperty({ example: '6a1f0c2e-4b8d-4e3a-9c71-2f5d8e0b1a34' })
  id!: string;

  @ApiProperty({ example: 'Night rotation' })
  name!: string;

  @ApiProperty({ enum: PLAYLIST_KINDS, description: KINDS_DESCRIPTION, example: 'rotation' })
  kind!: PlaylistKind;

  @ApiProperty({ description: 'A disabled playlist is never chosen (its schedule entries stay, inactive)', example: true })
  enabled!: boolean;

  @ApiProperty({
    type: 'integer',
    minimum: WEIGHT_RANGE[0],
    maximum: WEIGHT_RANGE[1],
    description: 'rotation: its share of the general rotation (1 for other kinds)',
    example: 3,
  })
  weight!: number;

  @ApiProperty({
    type: 'integer',
    minimum: ARTIST_SEPARATION_RANGE[0],
    maximum: ARTIST_SEPARATION_RANGE[1],
    description: 'rotation: no artist plays twice within this many tracks; 0: no rule (0 for other kinds)',
    example: 5,
  })
  artistSeparation!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'jingle: one jingle after every this many tracks (null otherwise)',
    example: null,
  })
  everyTracks!: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'jingle: one jingle once this many minutes passed since the last (null otherwise)',
    example: null,
  })
  everyMinutes!: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'hourly: the minute of each hour from which it plays (null otherwise)',
    example: null,
  })
  minute!: number | null;

  @ApiProperty({ type: 'integer', description: 'How many tracks it holds', example: 1200 })
  trackCount!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  updatedAt!: string;
}

export class PlaylistDto extends PlaylistSummaryDto implements PlaylistWithCount {
  @ApiProperty({
    type: [String],
    description: 'Its tracks (library track ids), in its order',
    example: ['3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01'],
  })
  trackIds!: string[];
}

export class PlaylistListDto {
  @ApiProperty({
    type: [PlaylistSummaryDto],
    description: 'Every playlist, oldest first, without its track ids (`GET /api/playlists/{id}` has them)',
  })
  playlists!: PlaylistSummaryDto[];
}

/** The fields every kind-specific rule reads (create and update). */
export class PlaylistSettingsDto {
  @ApiPropertyOptional({ description: 'Default true', example: true })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: WEIGHT_RANGE[0],
    maximum: WEIGHT_RANGE[1],
    description: 'rotation only (default 1)',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(WEIGHT_RANGE[0])
  @Max(WEIGHT_RANGE[1])
  weight?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: ARTIST_SEPARATION_RANGE[0],
    maximum: ARTIST_SEPARATION_RANGE[1],
    description: 'rotation only (default 0: no rule)',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(ARTIST_SEPARATION_RANGE[0])
  @Max(ARTIST_SEPARATION_RANGE[1])
  artistSeparation?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: EVERY_TRACKS_RANGE[0],
    maximum: EVERY_TRACKS_RANGE[1],
    description: 'jingle only; a jingle needs everyTracks, everyMinutes or both',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(EVERY_TRACKS_RANGE[0])
  @Max(EVERY_TRACKS_RANGE[1])
  everyTracks?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: EVERY_MINUTES_RANGE[0],
    maximum: EVERY_MINUTES_RANGE[1],
    description: 'jingle only; a jingle needs everyTracks, everyMinutes or both',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(EVERY_MINUTES_RANGE[0])
  @Max(EVERY_MINUTES_RANGE[1])
  everyMinutes?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 59, description: 'hourly only, and required there' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  @Max(59)
  minute?: number;
}

export class CreatePlaylistDto extends PlaylistSettingsDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_PLAYLIST_NAME, example: 'Night rotation' })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PLAYLIST_NAME)
  @HasNoControlCharacters()
  name!: string;

  @ApiProperty({ enum: PLAYLIST_KINDS, description: KINDS_DESCRIPTION, example: 'rotation' })
  @IsIn(PLAYLIST_KINDS)
  kind!: PlaylistKind;
}

export class UpdatePlaylistDto extends PlaylistSettingsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_PLAYLIST_NAME, example: 'Late rotation' })
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PLAYLIST_NAME)
  @HasNoControlCharacters()
  name?: string;

  @ApiPropertyOptional({
    enum: PLAYLIST_KINDS,
    description:
      'A new kind: the fields of the old kind are reset, and the new kind needs its own (jingle: everyTracks or everyMinutes; hourly: minute)',
  })
  @IsOptionalNonNull()
  @IsIn(PLAYLIST_KINDS)
  kind?: PlaylistKind;
}

export class SetPlaylistTracksDto {
  @ApiProperty({
    type: [String],
    maxItems: MAX_JSON_ARRAY_ITEMS,
    description: 'Library track ids, each once, in the playlist order (replaces its tracks)',
    example: ['3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01'],
  })
  @IsArray()
  @ArrayMaxSize(MAX_JSON_ARRAY_ITEMS)
  @IsArrayOfStrings(MAX_ID_LENGTH)
  trackIds!: string[];
}

export class AddPlaylistTracksDto extends SetPlaylistTracksDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Where they go: 0 first, the track count (or left out) at the end; the tracks from there on follow them',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  position?: number;
}
