import { DestinationStatusDto } from '../../destinations/dto/destination.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { LOG_SERVICES, type LogService } from '../../contracts/socket-events.js';
import { RtmpSummaryDto, TelegramSummaryDto } from '../../streaming/dto/streaming-status.dto.js';
import { MAX_TAIL_LINES } from '../log-files.service.js';

export class CpuDto {
  @ApiProperty({ type: 'integer', example: 2 })
  cores!: number;

  @ApiProperty({ type: [Number], description: 'Load average over 1, 5 and 15 minutes', example: [0.42, 0.35, 0.3] })
  loadAverage!: number[];
}

export class MemoryDto {
  @ApiProperty({ type: 'integer', example: 4_000_000_000 })
  totalBytes!: number;

  @ApiProperty({ type: 'integer', example: 2_500_000_000 })
  freeBytes!: number;

  @ApiProperty({ type: 'integer', example: 1_500_000_000 })
  usedBytes!: number;
}

export class DiskDto {
  @ApiProperty({ description: 'DATA_DIR, whose filesystem is measured', example: '/srv/wave/data' })
  path!: string;

  @ApiProperty({ type: 'integer', example: 50_000_000_000 })
  totalBytes!: number;

  @ApiProperty({ type: 'integer', description: 'Available to Wave (not counting root-reserved blocks)', example: 20_000_000_000 })
  freeBytes!: number;

  @ApiProperty({ type: 'integer', example: 30_000_000_000 })
  usedBytes!: number;
}

export class ProcessMemoryDto {
  @ApiProperty({ type: 'integer', example: 130_000_000 })
  rssBytes!: number;

  @ApiProperty({ type: 'integer', example: 60_000_000 })
  heapUsedBytes!: number;

  @ApiProperty({ type: 'integer', example: 80_000_000 })
  heapTotalBytes!: number;
}

export class ProcessInfoDto {
  @ApiProperty({ type: 'integer', example: 4242 })
  pid!: number;

  @ApiProperty({ example: 'v20.20.0' })
  nodeVersion!: string;

  @ApiProperty({ description: 'Seconds since Wave started', example: 3600.5 })
  uptimeSeconds!: number;

  @ApiProperty({ type: ProcessMemoryDto })
  memory!: ProcessMemoryDto;
}

export class SystemInfoDto {
  @ApiProperty({ example: 'radio-1' })
  hostname!: string;

  @ApiProperty({ example: 'linux' })
  platform!: string;

  @ApiProperty({ description: 'Seconds since the machine booted', example: 86400 })
  uptimeSeconds!: number;

  @ApiProperty({ type: CpuDto })
  cpu!: CpuDto;

  @ApiProperty({ type: MemoryDto })
  memory!: MemoryDto;

  @ApiProperty({ type: DiskDto })
  disk!: DiskDto;

  @ApiProperty({ type: ProcessInfoDto })
  process!: ProcessInfoDto;

  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class EngineStateDto {
  @ApiProperty({ enum: ['up', 'down', 'unknown'], example: 'up' })
  state!: 'up' | 'down' | 'unknown';

  @ApiProperty({ type: String, nullable: true, description: 'Version when up, the reason otherwise', example: '26.1.5' })
  detail!: string | null;
}

export class ServicesDto {
  @ApiProperty({ type: RtmpSummaryDto })
  rtmp!: RtmpSummaryDto;

  @ApiProperty({ type: TelegramSummaryDto })
  telegram!: TelegramSummaryDto;

  @ApiProperty({ type: [DestinationStatusDto], description: "Simulcast destinations (Telegram first), each with its connection's state" })
  destinations!: DestinationStatusDto[];

  @ApiProperty({ type: EngineStateDto, description: 'The Docker engine the RTMP ingest runs on' })
  docker!: EngineStateDto;

  @ApiProperty({ type: EngineStateDto, description: 'The PM2 daemon supervising the Telegram stream' })
  pm2!: EngineStateDto;

  @ApiProperty({ format: 'date-time' })
  at!: string;
}

export class LogsQueryDto {
  @ApiPropertyOptional({ enum: LOG_SERVICES, default: 'wave' })
  @IsOptional()
  @IsIn(LOG_SERVICES)
  service: LogService = 'wave';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_TAIL_LINES, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_TAIL_LINES)
  lines: number = 100;
}

export class LogsDto {
  @ApiProperty({ enum: LOG_SERVICES, example: 'wave' })
  service!: LogService;

  @ApiProperty({ description: 'File name in LOG_DIR', example: 'wave.log' })
  file!: string;

  @ApiProperty({
    type: [String],
    description: 'The last lines, oldest first, as written (JSON lines), with secrets redacted',
    example: ['{"level":"info","message":"Wave listening on http://127.0.0.1:6970","timestamp":"2026-01-01T20:00:00.000Z"}'],
  })
  lines!: string[];
}

export class HttpSummaryDto {
  @ApiProperty({ type: 'integer', description: 'Requests answered since Wave started', example: 1200 })
  requests!: number;

  @ApiProperty({ type: 'integer', description: 'Of which answered with a 5xx status', example: 0 })
  serverErrors!: number;

  @ApiProperty({ description: 'Mean duration in milliseconds (0 before the first request)', example: 1.8 })
  meanDurationMs!: number;
}

export class SocketSummaryDto {
  @ApiProperty({ type: 'integer', example: 42 })
  public!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  admin!: number;
}

export class MetricsSummaryDto {
  @ApiProperty({ type: HttpSummaryDto })
  http!: HttpSummaryDto;

  @ApiProperty({ type: SocketSummaryDto })
  sockets!: SocketSummaryDto;

  @ApiProperty({ type: 'integer', description: 'Tracks started since Wave started', example: 12 })
  trackChanges!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Telegram stream reconnects, as the running daemon counts them (0 while it is stopped)',
    example: 0,
  })
  streamReconnects!: number;

  @ApiProperty({ description: 'Seconds of CPU Wave used (user + system)', example: 12.5 })
  processCpuSeconds!: number;

  @ApiProperty({ type: 'integer', example: 130_000_000 })
  processRssBytes!: number;
}
