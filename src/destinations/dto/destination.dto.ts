import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches, MaxLength, MinLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import {
  DESTINATION_STATES,
  type DestinationConnection,
  type DestinationError,
  type DestinationState,
  type DestinationStatus,
  type DestinationView,
} from '../../contracts/destinations.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme } from '../../telegram/stream-url.js';

/** True when `value` is a URL carrying `user[:password]@` (a key belongs in `streamKey`, where it is masked). */
export function hasUrlCredentials(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

/** class-validator: the URL holds no `user:password@` credentials. */
export function HasNoUrlCredentials(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoUrlCredentials',
      validator: {
        validate: (value: unknown) => !hasUrlCredentials(value),
        defaultMessage: (args) => `${args?.property} must not contain credentials (user:password@): give the key as streamKey`,
      },
    },
    options,
  );
}

const NAME = { description: 'Shown in the status and metrics; unique', minLength: 1, maxLength: 100, example: 'YouTube' };
const URL_FIELD = {
  description: 'RTMP(S) ingest without the key and without credentials (the key is appended as the last path segment)',
  example: 'rtmp://a.rtmp.youtube.com/live2',
};
const KEY = { description: 'Write-only stream key (responses show it masked); empty for none', example: 'abcd-efgh-ijkl-mnop' };

/** POST body: a new destination. */
export class CreateDestinationDto {
  @ApiProperty(NAME)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @HasNoControlCharacters()
  name!: string;

  @ApiProperty(URL_FIELD)
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  @MaxLength(2048)
  @HasNoUrlCredentials()
  url!: string;

  @ApiPropertyOptional(KEY)
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @Matches(/^[^\s/?#]*$/, { message: 'streamKey must not contain whitespace, "/", "?" or "#"' })
  @HasNoControlCharacters()
  streamKey?: string;

  @ApiPropertyOptional({ description: 'Pushed to while the daemon runs', default: true, example: true })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;
}

/** PATCH body: the fields to change (others keep their value). A rejected update changes nothing. */
export class UpdateDestinationDto {
  @ApiPropertyOptional(NAME)
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @HasNoControlCharacters()
  name?: string;

  @ApiPropertyOptional(URL_FIELD)
  @IsOptionalNonNull()
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  @MaxLength(2048)
  @HasNoUrlCredentials()
  url?: string;

  @ApiPropertyOptional(KEY)
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @Matches(/^[^\s/?#]*$/, { message: 'streamKey must not contain whitespace, "/", "?" or "#"' })
  @HasNoControlCharacters()
  streamKey?: string;

  @ApiPropertyOptional({ example: false })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;
}

export class DestinationErrorDto implements DestinationError {
  @ApiProperty({ description: 'Without the key or URL credentials', example: 'the ingest refused the publish' })
  message!: string;

  @ApiProperty({ type: String, nullable: true, example: 'publish_refused' })
  code!: string | null;

  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class DestinationConnectionDto implements DestinationConnection {
  @ApiProperty({ example: 'youtube-1a2b3c' })
  id!: string;

  @ApiProperty({ enum: DESTINATION_STATES, example: 'live' })
  state!: DestinationState;

  @ApiProperty({ type: 'integer', description: 'Failed attempts since it was last live', example: 0 })
  attempt!: number;

  @ApiProperty({ format: 'date-time', description: 'When it entered `state`' })
  since!: string;

  @ApiProperty({ type: 'integer', example: 120 })
  uptimeSec!: number;

  @ApiProperty({ example: 128 })
  bitrateKbps!: number;

  @ApiProperty({ type: 'integer', example: 1920000 })
  bytesSent!: number;

  @ApiProperty({ type: 'integer', example: 0 })
  reconnects!: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Delay before the next attempt (retrying/failed)', example: 4000 })
  retryInMs?: number;

  @ApiProperty({ type: DestinationErrorDto, nullable: true })
  lastError!: DestinationErrorDto | null;

  @ApiPropertyOptional({ description: 'Why it is disabled, when Wave says so', example: 'the Telegram stream daemon does not run' })
  reason?: string;
}

export class DestinationViewDto implements DestinationView {
  @ApiProperty({ description: '`telegram` for the Telegram config channel, else generated', example: 'youtube-1a2b3c' })
  id!: string;

  @ApiProperty({ enum: ['telegram', 'rtmp'], example: 'rtmp' })
  kind!: 'telegram' | 'rtmp';

  @ApiProperty({ example: 'YouTube' })
  name!: string;

  @ApiProperty({ example: 'rtmp://a.rtmp.youtube.com/live2' })
  url!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Masked', example: '****mnop' })
  streamKey!: string | null;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ type: DestinationConnectionDto })
  connection!: DestinationConnectionDto;
}

export class DestinationStatusDto implements DestinationStatus {
  @ApiProperty({ example: 'telegram' })
  id!: string;

  @ApiProperty({ enum: ['telegram', 'rtmp'], example: 'telegram' })
  kind!: 'telegram' | 'rtmp';

  @ApiProperty({ example: 'Telegram' })
  name!: string;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({ type: DestinationConnectionDto })
  connection!: DestinationConnectionDto;
}
