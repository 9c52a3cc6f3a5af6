import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNumber, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme, RADIO_URL_SCHEMES } from '../stream-url.js';
import { AUDIO_BITRATES_KBPS, SAMPLE_RATES, SOUND_LIMITS, TELEGRAM_SOURCES, type TelegramSource } from '../telegram-config.document.js';

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

  @ApiPropertyOptional({
    description:
      'Loudness normalization: every measured track plays at `loudnessTarget` (gain from its EBU R128 integrated loudness, a limiter keeps the true peak at -1 dBTP at most). Live: applies from the next track',
    example: true,
  })
  @IsOptionalNonNull()
  @IsBoolean()
  normalize?: boolean;

  @ApiPropertyOptional({
    description: 'The station loudness in LUFS: -16 suits phones and streaming, -23 is EBU R128 broadcast. Live: from the next track',
    minimum: SOUND_LIMITS.loudnessTarget.min,
    maximum: SOUND_LIMITS.loudnessTarget.max,
    example: -16,
  })
  @IsOptionalNonNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.loudnessTarget.min)
  @Max(SOUND_LIMITS.loudnessTarget.max)
  loudnessTarget?: number;

  @ApiPropertyOptional({
    description: 'Seconds two tracks overlap, mixed on the one connection (0: back to back). Live: from the next track change',
    minimum: SOUND_LIMITS.crossfadeSec.min,
    maximum: SOUND_LIMITS.crossfadeSec.max,
    example: 2,
  })
  @IsOptionalNonNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.crossfadeSec.min)
  @Max(SOUND_LIMITS.crossfadeSec.max)
  crossfadeSec?: number;

  @ApiPropertyOptional({
    description: 'Also crossfade into and out of jingles and hourly station IDs (false: they start and end clean)',
    example: true,
  })
  @IsOptionalNonNull()
  @IsBoolean()
  crossfadeJingles?: boolean;

  @ApiPropertyOptional({
    description: "Leading and trailing audio below this level (dBFS) is skipped: the analysis sets each track's cue points from it",
    minimum: SOUND_LIMITS.silenceThresholdDb.min,
    maximum: SOUND_LIMITS.silenceThresholdDb.max,
    example: -50,
  })
  @IsOptionalNonNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.silenceThresholdDb.min)
  @Max(SOUND_LIMITS.silenceThresholdDb.max)
  silenceThresholdDb?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'The fade between the programme and a live DJ or radio URL at each switch, in ms. Live: from the next switch',
    minimum: SOUND_LIMITS.liveFadeMs.min,
    maximum: SOUND_LIMITS.liveFadeMs.max,
    example: 500,
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(SOUND_LIMITS.liveFadeMs.min)
  @Max(SOUND_LIMITS.liveFadeMs.max)
  liveFadeMs?: number;

  @ApiPropertyOptional({
    description: 'A real-time loudness control on live DJ and radio URL sources, towards `loudnessTarget`. Live: from the next switch',
    example: true,
  })
  @IsOptionalNonNull()
  @IsBoolean()
  liveLoudness?: boolean;
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

  @ApiProperty({ example: true })
  normalize!: boolean;

  @ApiProperty({ description: 'LUFS', example: -16 })
  loudnessTarget!: number;

  @ApiProperty({ description: 'Seconds', example: 2 })
  crossfadeSec!: number;

  @ApiProperty({ example: true })
  crossfadeJingles!: boolean;

  @ApiProperty({ description: 'dBFS', example: -50 })
  silenceThresholdDb!: number;

  @ApiProperty({ type: 'integer', description: 'ms', example: 500 })
  liveFadeMs!: number;

  @ApiProperty({ example: true })
  liveLoudness!: boolean;
}

export class TelegramConfigUpdateResultDto extends TelegramConfigDto {
  @ApiProperty({
    description:
      'True when the daemon is running and a changed setting (ingest, key, audio format, cover) takes effect only after a restart; a source change is applied live (true also when the daemon could not be told of it: the log says why)',
    example: false,
  })
  restartRequired!: boolean;
}
