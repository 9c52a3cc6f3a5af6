import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { IANAZone } from 'luxon';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import type { IsoWeekday, ScheduleEntry } from '../programme.model.js';
import { MAX_ID_LENGTH } from './playlist.dto.js';

export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
export const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const PRIORITY_RANGE = [-1000, 1000] as const;

/** A real calendar date `YYYY-MM-DD` (2026-02-30 is not one). */
export function isLocalDate(value: unknown): boolean {
  if (typeof value !== 'string' || !LOCAL_DATE.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function IsLocalDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLocalDate',
      validator: {
        validate: isLocalDate,
        defaultMessage: (args) => `${args?.property} must be a date YYYY-MM-DD, e.g. 2026-01-31`,
      },
    },
    options,
  );
}

function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && IANAZone.isValidZone(value),
        defaultMessage: (args) => `${args?.property} must be an IANA time zone, e.g. Europe/Berlin or UTC`,
      },
    },
    options,
  );
}

/** Null clears the bound; left out keeps it (an update) or means none (a new entry). */
const NullableOrOptional = () => ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null);

const DAYS_DESCRIPTION = 'ISO weekdays it starts on, 1 Monday … 7 Sunday, each once (an entry past midnight goes on into the next day)';
const TIME_DESCRIPTION = 'Local time in the station time zone, `HH:MM` or `HH:MM:SS`';

export class ScheduleEntryDto implements ScheduleEntry {
  @ApiProperty({ example: '0c9e3f5a-7b1d-4c2e-8a6f-1d2b3c4e5f60' })
  id!: string;

  @ApiProperty({ example: '6a1f0c2e-4b8d-4e3a-9c71-2f5d8e0b1a34' })
  playlistId!: string;

  @ApiProperty({ type: 'integer', isArray: true, enum: [1, 2, 3, 4, 5, 6, 7], description: DAYS_DESCRIPTION, example: [1, 2, 3, 4, 5] })
  days!: IsoWeekday[];

  @ApiProperty({ description: TIME_DESCRIPTION, example: '22:00' })
  start!: string;

  @ApiProperty({ description: `${TIME_DESCRIPTION}; at or before \`start\`: it runs past midnight`, example: '02:00' })
  end!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'First date it may start on (YYYY-MM-DD, local); null: no bound',
    example: null,
  })
  startDate!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Last date it may start on (YYYY-MM-DD, local, inclusive); null: no bound',
    example: null,
  })
  endDate!: string | null;

  @ApiProperty({ type: 'integer', description: 'Higher wins where entries overlap; entries of equal priority may not overlap', example: 0 })
  priority!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  createdAt!: string;
}

export class ScheduleDto {
  @ApiProperty({ description: "The station's IANA time zone: entries' times and dates are local to it", example: 'Europe/Berlin' })
  timeZone!: string;

  @ApiProperty({ type: [ScheduleEntryDto], description: 'Every entry, oldest first' })
  entries!: ScheduleEntryDto[];
}

export class UpdateScheduleDto {
  @ApiProperty({
    maxLength: 64,
    description: 'An IANA time zone (e.g. `Europe/Berlin`, `America/New_York`, `UTC`)',
    example: 'Europe/Berlin',
  })
  @IsString()
  @MaxLength(64)
  @HasNoControlCharacters()
  @IsTimeZone()
  timeZone!: string;
}

/** The rules of each entry field, shared by the create (required) and update (optional) bodies. */
const PlaylistIdRules = () => applyDecorators(IsString(), MaxLength(MAX_ID_LENGTH), HasNoControlCharacters());
const DaysRules = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(7),
    ArrayUnique(),
    IsInt({ each: true }),
    Min(1, { each: true }),
    Max(7, { each: true }),
  );
const TimeRules = (field: string) =>
  applyDecorators(IsString(), Matches(TIME_OF_DAY, { message: `${field} must be a time HH:MM or HH:MM:SS (00:00 to 23:59:59)` }));
const PriorityRules = () => applyDecorators(IsInt(), Min(PRIORITY_RANGE[0]), Max(PRIORITY_RANGE[1]));
const DAYS_SCHEMA = {
  type: 'integer',
  isArray: true,
  enum: [1, 2, 3, 4, 5, 6, 7],
  minItems: 1,
  maxItems: 7,
  uniqueItems: true,
  description: DAYS_DESCRIPTION,
  example: [1, 2, 3, 4, 5],
} as const;
const PLAYLIST_ID_SCHEMA = {
  maxLength: MAX_ID_LENGTH,
  description: 'The playlist it plays',
  example: '6a1f0c2e-4b8d-4e3a-9c71-2f5d8e0b1a34',
};
const START_SCHEMA = { pattern: TIME_OF_DAY.source, description: TIME_DESCRIPTION, example: '22:00' };
const END_SCHEMA = {
  pattern: TIME_OF_DAY.source,
  description: `${TIME_DESCRIPTION}; not equal to start; at or before it: it runs past midnight`,
  example: '02:00',
};
const START_DATE_SCHEMA = {
  type: String,
  nullable: true,
  format: 'date',
  description: 'First date it may start on, YYYY-MM-DD (local); null or left out: no bound',
  example: '2026-01-01',
};
const END_DATE_SCHEMA = {
  type: String,
  nullable: true,
  format: 'date',
  description: 'Last date it may start on, YYYY-MM-DD (local, inclusive), not before startDate; null or left out: no bound',
  example: '2026-12-31',
};
const PRIORITY_SCHEMA = {
  type: 'integer',
  minimum: PRIORITY_RANGE[0],
  maximum: PRIORITY_RANGE[1],
  description: 'Higher wins where entries overlap; equal priorities may not overlap (default 0)',
} as const;

export class CreateScheduleEntryDto {
  @ApiProperty(PLAYLIST_ID_SCHEMA)
  @PlaylistIdRules()
  playlistId!: string;

  @ApiProperty(DAYS_SCHEMA)
  @DaysRules()
  days!: IsoWeekday[];

  @ApiProperty(START_SCHEMA)
  @TimeRules('start')
  start!: string;

  @ApiProperty(END_SCHEMA)
  @TimeRules('end')
  end!: string;

  @ApiPropertyOptional(START_DATE_SCHEMA)
  @NullableOrOptional()
  @IsLocalDate()
  startDate?: string | null;

  @ApiPropertyOptional(END_DATE_SCHEMA)
  @NullableOrOptional()
  @IsLocalDate()
  endDate?: string | null;

  @ApiPropertyOptional(PRIORITY_SCHEMA)
  @IsOptionalNonNull()
  @PriorityRules()
  priority?: number;
}

/** Any subset of an entry's fields; the entry as changed is checked as a whole (times, dates, overlaps). */
export class UpdateScheduleEntryDto {
  @ApiPropertyOptional(PLAYLIST_ID_SCHEMA)
  @IsOptionalNonNull()
  @PlaylistIdRules()
  playlistId?: string;

  @ApiPropertyOptional(DAYS_SCHEMA)
  @IsOptionalNonNull()
  @DaysRules()
  days?: IsoWeekday[];

  @ApiPropertyOptional(START_SCHEMA)
  @IsOptionalNonNull()
  @TimeRules('start')
  start?: string;

  @ApiPropertyOptional(END_SCHEMA)
  @IsOptionalNonNull()
  @TimeRules('end')
  end?: string;

  @ApiPropertyOptional(START_DATE_SCHEMA)
  @NullableOrOptional()
  @IsLocalDate()
  startDate?: string | null;

  @ApiPropertyOptional(END_DATE_SCHEMA)
  @NullableOrOptional()
  @IsLocalDate()
  endDate?: string | null;

  @ApiPropertyOptional(PRIORITY_SCHEMA)
  @IsOptionalNonNull()
  @PriorityRules()
  priority?: number;
}
