import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { MAX_JSON_ARRAY_ITEMS } from '../../common/json-body-limits.js';
import { HasNoControlCharacters, IsArrayOfStrings, IsOptionalNonNull } from '../../common/validators.js';
import type { AnalysisProgress } from '../../contracts/socket-events.js';
import type { LibraryTrack, TrackLoudness } from '../../contracts/track-library.js';
import type { CueSource } from '../../repositories/track.repository.js';
import type { TrackAnalysisStatus } from '../analysis/track-analysis.service.js';
import { TRACK_SORTS, type TrackSort } from '../../repositories/track.repository.js';

/** Labels per track, and characters per label. */
export const MAX_TAGS = 32;
export const MAX_TAG_CHARACTERS = 64;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export class TrackLoudnessDto implements TrackLoudness {
  @ApiProperty({ description: 'Integrated loudness, LUFS (EBU R128)', example: -14.2 })
  integratedLufs!: number;

  @ApiProperty({ description: 'Loudness range, LU', example: 6.8 })
  rangeLu!: number;

  @ApiProperty({ description: 'True peak, dBTP', example: -0.9 })
  truePeakDbtp!: number;
}

export const TRACK_ANALYSIS_STATUSES: TrackAnalysisStatus[] = ['pending', 'running', 'analysed', 'failed'];
const CUE_SOURCES = ['operator', 'detected'];

export class TrackAnalysisDto {
  @ApiProperty({
    enum: TRACK_ANALYSIS_STATUSES,
    description:
      '`pending`: not measured at the current silence threshold yet (new, file changed, threshold changed); `running`: being measured now; `failed`: see `error`',
  })
  status!: TrackAnalysisStatus;

  @ApiProperty({ type: String, nullable: true, description: 'When it was last measured', example: '2026-01-01T20:00:05.000Z' })
  analysedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the last analysis failed: `silent`, `unreadable`, `timeout`, `no_measurement`',
    example: null,
  })
  error!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'dBFS: the silence threshold the cues were detected at', example: -50 })
  thresholdDb!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds: where the leading silence ends (null: none found)', example: 1.2 })
  cueInDetected!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Seconds: where the trailing silence starts (null: none found)',
    example: 212.05,
  })
  cueOutDetected!: number | null;
}

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

  @ApiProperty({ type: TrackLoudnessDto, nullable: true, description: 'The loudness analysis (EBU R128); null until measured' })
  loudness!: TrackLoudnessDto | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "Seconds: where playing starts (the operator's cue, else the end of the leading silence); null: the file's start",
    example: 1.2,
  })
  cueIn!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "Seconds: where playing ends (the operator's cue, else the start of the trailing silence); null: the file's end",
    example: 212.05,
  })
  cueOut!: number | null;

  @ApiProperty({ enum: CUE_SOURCES, nullable: true, description: 'Where `cueIn` comes from (null: there is none)' })
  cueInSource!: CueSource;

  @ApiProperty({ enum: CUE_SOURCES, nullable: true, description: 'Where `cueOut` comes from (null: there is none)' })
  cueOutSource!: CueSource;

  @ApiProperty({ type: TrackAnalysisDto, description: "The loudness analysis' state" })
  analysis!: TrackAnalysisDto;
}

export class AnalysisProgressDto implements AnalysisProgress {
  @ApiProperty({ example: 1200 })
  total!: number;

  @ApiProperty({ description: 'Measured at the current silence threshold', example: 1150 })
  analysed!: number;

  @ApiProperty({ description: 'Whose analysis failed (measured again only when the file or the threshold changes)', example: 2 })
  failed!: number;

  @ApiProperty({ description: 'Still to be measured', example: 48 })
  pending!: number;

  @ApiProperty({ description: 'Whether the job is measuring now (one track at a time)' })
  running!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'The track being measured' })
  currentTrackId!: string | null;

  @ApiProperty({ description: "dBFS: the silence threshold (the Telegram config's `silenceThresholdDb`)", example: -50 })
  thresholdDb!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  at!: string;
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

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    description: "Seconds: the operator's cue-in (below the duration and the cue-out); null goes back to the detected one",
    example: 1.5,
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  cueIn?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    description: "Seconds: the operator's cue-out (above the cue-in, at most the duration); null goes back to the detected one",
    example: 210,
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  cueOut?: number | null;
}

export class ReorderTracksDto {
  @ApiProperty({ type: [String], maxItems: MAX_JSON_ARRAY_ITEMS, description: 'Every track id, each once, in the new play order' })
  @IsArray()
  @ArrayMaxSize(MAX_JSON_ARRAY_ITEMS)
  @IsArrayOfStrings(128)
  trackIds!: string[];
}
