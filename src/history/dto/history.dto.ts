import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, isISO8601, Max, MaxLength, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { PLAY_SOURCES, type Play, type PlaySource } from '../../repositories/play-history.repository.js';

export const DEFAULT_HISTORY_PAGE_SIZE = 100;
export const MAX_HISTORY_PAGE_SIZE = 1000;

/** A date (UTC midnight) or a date-time with its zone: `2026-01-01`, `2026-01-01T20:00:00Z`, `2026-01-01T22:00:00.5+02:00`. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The instant an ISO-8601 text names, or null when it names none (a date-time without a zone is refused: whose local time?). */
export function parseInstant(value: unknown): Date | null {
  if (typeof value !== 'string' || !INSTANT.test(value) || !isISO8601(value, { strict: true, strictSeparator: true })) return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time) : null;
}

function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => parseInstant(value) !== null,
        defaultMessage: (args) =>
          `${args?.property} must be an ISO-8601 date or date-time with a time zone, e.g. 2026-01-01T20:00:00Z (a date is UTC midnight)`,
      },
    },
    options,
  );
}

/** `to` is not earlier than `from` (checked when both are instants; each is checked on its own as well). */
function IsNotBeforeFrom(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotBeforeFrom',
      validator: {
        validate: (value: unknown, args) => {
          const to = parseInstant(value);
          const from = parseInstant((args?.object as { from?: unknown }).from);
          return !to || !from || from.getTime() <= to.getTime();
        },
        defaultMessage: () => 'to must not be earlier than from',
      },
    },
    options,
  );
}

export class PlayDto implements Play {
  @ApiProperty({ example: '5d41402a-bc4b-2a76-b971-9d911017c592' })
  id!: string;

  @ApiProperty({ description: 'When it was first heard at the Telegram ingest (ISO-8601 UTC)', example: '2026-01-01T20:00:00.000Z' })
  startedAt!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When it left the air; null while it is on the air',
    example: '2026-01-01T20:03:35.400Z',
  })
  endedAt!: string | null;

  @ApiProperty({
    enum: PLAY_SOURCES,
    description:
      'Why it played: `playlist` (a library track), `radio` (the radio URL), `live` (a DJ through RTMP), `request` (reserved for programming; not written yet)',
    example: 'playlist',
  })
  source!: PlaySource;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The library track; null for radio and live',
    example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01',
  })
  trackId!: string | null;

  @ApiProperty({
    description: "The track's title as it played; for radio and live the source's label (no credentials, no stream key)",
    example: 'Night Drive',
  })
  title!: string;

  @ApiProperty({ description: "The track's artist as it played; '' for radio and live", example: 'Wave Ensemble' })
  artist!: string;
}

export class PlayPageDto {
  @ApiProperty({ type: [PlayDto], description: 'One page, newest first unless `order=asc`' })
  items!: PlayDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` (with the same other parameters) for the next page; null on the last page',
    example: 'eyJ2IjoxLCJvIjoiZGVzYyJ9',
  })
  nextCursor!: string | null;
}

export class ListHistoryQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_HISTORY_PAGE_SIZE,
    default: DEFAULT_HISTORY_PAGE_SIZE,
    description: 'Rows per page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_HISTORY_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'By start time; `desc` is newest first' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({
    description: 'Rows that started at or after this instant (ISO-8601 with a zone; a date is UTC midnight)',
    example: '2026-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({
    description: 'Rows that started at or before this instant; not earlier than `from`',
    example: '2026-01-02T00:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsInstant()
  @IsNotBeforeFrom()
  to?: string;

  @ApiPropertyOptional({ enum: PLAY_SOURCES, description: 'Only rows of this source' })
  @IsOptional()
  @IsIn(PLAY_SOURCES)
  source?: PlaySource;
}
