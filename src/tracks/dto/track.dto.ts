import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, MaxLength, MinLength } from 'class-validator';
import { MAX_JSON_ARRAY_ITEMS } from '../../common/json-body-limits.js';
import { HasNoControlCharacters, IsArrayOfStrings, IsOptionalNonNull } from '../../common/validators.js';

export class TrackDto {
  @ApiProperty({ example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01' })
  id!: string;

  @ApiProperty({ example: 'Night Drive' })
  title!: string;

  @ApiProperty({ example: 'Wave Ensemble' })
  artist!: string;

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
}

export class ReorderTracksDto {
  @ApiProperty({ type: [String], maxItems: MAX_JSON_ARRAY_ITEMS, description: 'Every track id, each once, in the new play order' })
  @IsArray()
  @ArrayMaxSize(MAX_JSON_ARRAY_ITEMS)
  @IsArrayOfStrings(128)
  trackIds!: string[];
}
