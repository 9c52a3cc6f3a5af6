import { ApiProperty } from '@nestjs/swagger';
import { LiveOverrideDto } from './live-override.dto.js';
import { NowPlayingDto } from './now-playing.dto.js';

export class TelegramSourceDto {
  @ApiProperty({ enum: ['playlist', 'url', 'rtmp', 'silence'], example: 'playlist' })
  kind!: string;

  @ApiProperty({ description: 'What is on air, without credentials', example: 'playlist' })
  label!: string;
}

export class TelegramStatsDto {
  @ApiProperty({ example: 262.4 })
  bitrateKbps!: number;

  @ApiProperty({ type: 'integer', example: 1048576 })
  bytesSent!: number;

  @ApiProperty({ description: 'Seconds the current ingest connection has been up', example: 120 })
  connectedSec!: number;

  @ApiProperty({ type: 'integer', description: 'Reconnects since the daemon started', example: 0 })
  reconnects!: number;

  @ApiProperty({ description: 'Silence written because the source had nothing ready (ms)', example: 0 })
  silenceMs!: number;

  @ApiProperty({ description: 'When the daemon reported these', example: '2026-01-01T20:00:00.000Z' })
  at!: string;
}

export class TelegramErrorDto {
  @ApiProperty({ example: 'encoder_failed' })
  code!: string;

  @ApiProperty({ example: 'ffmpeg exited with code 1' })
  message!: string;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  at!: string;
}

/** The daemon as PM2 knows it, plus what the daemon last reported over PM2's bus. */
export class TelegramStatusDto {
  @ApiProperty({ description: "PM2's state of `telegram-stream` (`not_started` when PM2 does not know it)", example: 'online' })
  state!: string;

  @ApiProperty({ example: true })
  running!: boolean;

  @ApiProperty({ type: 'integer', nullable: true, example: 4242 })
  pid!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Seconds since PM2 started the daemon', example: 3600 })
  uptimeSec!: number | null;

  @ApiProperty({ type: 'integer', description: 'Restarts PM2 counted for the daemon', example: 0 })
  restarts!: number;

  @ApiProperty({ type: 'integer', example: 52428800 })
  memoryBytes!: number;

  @ApiProperty({ example: 3.5 })
  cpuPercent!: number;

  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'Connected to the ingest; null until the daemon reports (within 5 s)',
    example: true,
  })
  connected!: boolean | null;

  @ApiProperty({ enum: ['connecting', 'connected', 'reconnecting', 'stopped', 'unknown'], example: 'connected' })
  connection!: string;

  @ApiProperty({ type: TelegramSourceDto, nullable: true })
  source!: TelegramSourceDto | null;

  @ApiProperty({ description: 'A DJ is on the air (the live RTMP relay), e.g. through the live takeover', example: false })
  live!: boolean;

  @ApiProperty({
    type: LiveOverrideDto,
    nullable: true,
    required: false,
    description: "The operator's take or release of a live DJ in force (GET status only; null: none)",
  })
  liveOverride?: LiveOverrideDto | null;

  @ApiProperty({ type: NowPlayingDto, nullable: true })
  nowPlaying!: NowPlayingDto | null;

  @ApiProperty({ type: TelegramStatsDto, nullable: true })
  stats!: TelegramStatsDto | null;

  @ApiProperty({ type: TelegramErrorDto, nullable: true, description: 'The last error the daemon reported since it started' })
  lastError!: TelegramErrorDto | null;

  @ApiProperty({ type: String, nullable: true, description: 'When the daemon last reported anything', example: '2026-01-01T20:00:00.000Z' })
  reportedAt!: string | null;
}

export class SkipResultDto {
  @ApiProperty({
    type: NowPlayingDto,
    nullable: true,
    description: 'What was on the air when the skip was asked (its `next` is what now starts)',
  })
  skipped!: NowPlayingDto | null;
}
