import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme, RADIO_URL_SCHEMES } from '../stream-url.js';
import { AUDIO_BITRATES_KBPS, SAMPLE_RATES, TELEGRAM_SOURCES, type TelegramSource } from '../telegram-config.document.js';

/** PUT body: the fields to change (others keep their value). A rejected update changes nothing. */
export class UpdateTelegramConfigDto {
  @ApiPropertyOptional({ description: 'RTMP(S) ingest (Telegram: `rtmps://dc<N>-1.rtmp.t.me/s/`)', example: 'rtmps://dc4-1.rtmp.t.me/s/' })
  @IsOptionalNonNull()
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  serverUrl?: string;

  @ApiPropertyOptional({
    description: 'Write-only stream key (`<digits>:<token>` for Telegram); empty clears it',
    example: '1234567890:AbCdEfGhIjKlMnOpQrStUv',
  })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(512)
  @Matches(/^[^\s/?#]*$/, { message: 'streamKey must not contain whitespace, "/", "?" or "#"' })
  @HasNoControlCharacters()
  streamKey?: string;

  @ApiPropertyOptional({
    enum: TELEGRAM_SOURCES,
    description: 'What plays: the track playlist, an internet radio URL, or the live RTMP ingest',
  })
  @IsOptionalNonNull()
  @IsIn(TELEGRAM_SOURCES)
  source?: TelegramSource;

  @ApiPropertyOptional({
    description: 'Internet radio fetched by ffmpeg for the `url` source (http, https, rtmp, rtmps only); empty clears it',
    example: 'https://radio.example/stream.mp3',
  })
  @ValidateIf((o: UpdateTelegramConfigDto) => o.radioUrl !== undefined && o.radioUrl !== '')
  @IsUrlWithScheme(RADIO_URL_SCHEMES)
  radioUrl?: string;

  @ApiPropertyOptional({
    description: "The live ingest relayed by the `rtmp` source; empty (the default) relays Wave's own RTMP ingest",
    example: 'rtmp://ingest.example:1935/live/stream',
  })
  @ValidateIf((o: UpdateTelegramConfigDto) => o.relayUrl !== undefined && o.relayUrl !== '')
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  relayUrl?: string;

  @ApiPropertyOptional({
    description:
      "Live DJ takeover: a DJ publishing to Wave's RTMP ingest takes the air from the playlist or radio URL on the same connection, and hands it back when done",
    example: true,
  })
  @IsOptionalNonNull()
  @IsBoolean()
  liveTakeover?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: AUDIO_BITRATES_KBPS.min, maximum: AUDIO_BITRATES_KBPS.max, example: 128 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(AUDIO_BITRATES_KBPS.min)
  @Max(AUDIO_BITRATES_KBPS.max)
  audioBitrateKbps?: number;

  @ApiPropertyOptional({ type: 'integer', enum: SAMPLE_RATES, example: 44100 })
  @IsOptionalNonNull()
  @IsIn(SAMPLE_RATES)
  sampleRate?: number;

  @ApiPropertyOptional({
    description: 'Cover image file (absolute, or relative to DATA_DIR); empty for a plain background',
    example: 'cover.png',
  })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(4096)
  @HasNoControlCharacters()
  coverImage?: string;

  @ApiPropertyOptional({ example: false })
  @IsOptionalNonNull()
  @IsBoolean()
  shuffle?: boolean;

  @ApiPropertyOptional({ example: true })
  @IsOptionalNonNull()
  @IsBoolean()
  loop?: boolean;
}

/** The Telegram config as Wave shows it: the stream key is never returned, only masked. */
export class TelegramConfigDto {
  @ApiProperty({ example: 'rtmps://dc4-1.rtmp.t.me/s/' })
  serverUrl!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Masked (`****` + last 4 characters); null when unset', example: '****StUv' })
  streamKey!: string | null;

  @ApiProperty({ example: true })
  streamKeySet!: boolean;

  @ApiProperty({ enum: TELEGRAM_SOURCES, example: 'playlist' })
  source!: TelegramSource;

  @ApiProperty({ description: 'Credentials and secret query parameters masked', example: 'https://****@radio.example/stream.mp3' })
  radioUrl!: string;

  @ApiProperty({
    description: "The RTMP stream key masked; empty means Wave's own RTMP ingest",
    example: 'rtmp://ingest.example:1935/live/****',
  })
  relayUrl!: string;

  @ApiProperty({ example: true })
  liveTakeover!: boolean;

  @ApiProperty({ type: 'integer', example: 128 })
  audioBitrateKbps!: number;

  @ApiProperty({ type: 'integer', example: 44100 })
  sampleRate!: number;

  @ApiProperty({ example: '' })
  coverImage!: string;

  @ApiProperty({ example: false })
  shuffle!: boolean;

  @ApiProperty({ example: true })
  loop!: boolean;
}

export class TelegramConfigUpdateResultDto extends TelegramConfigDto {
  @ApiProperty({
    description:
      'True when the daemon is running and a changed setting (ingest, key, audio format, cover) takes effect only after a restart; a source change is applied live (true also when the daemon could not be told of it: the log says why)',
    example: false,
  })
  restartRequired!: boolean;
}
