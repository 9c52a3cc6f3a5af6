import { ApiProperty } from '@nestjs/swagger';
import { DestinationStatusDto } from '../../destinations/dto/destination.dto.js';
import { NowPlayingDto } from '../../telegram/dto/now-playing.dto.js';
import type {
  StationLeader,
  RtmpState,
  RtmpStatusView,
  StreamingStatus,
  TelegramConnection,
  TelegramState,
  TelegramStatusView,
} from '../../contracts/socket-events.js';

/** The ingest in the one-view status (the full view is RtmpStatusDto at /api/stream/rtmp/status). */
export class RtmpSummaryDto implements RtmpStatusView {
  @ApiProperty({ enum: ['running', 'stopped', 'starting', 'unknown'], example: 'running' })
  state!: RtmpState;

  @ApiProperty({ type: 'integer', description: 'DJs publishing right now', example: 1 })
  publishers!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Host port of the ingest while running', example: 1935 })
  port!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  detail!: string | null;
}

/** The daemon in the one-view status (the full view is TelegramStatusDto at /api/stream/telegram/status). */
export class TelegramSummaryDto implements TelegramStatusView {
  @ApiProperty({ enum: ['online', 'stopped', 'starting', 'errored', 'unknown'], description: 'PM2 state of the daemon', example: 'online' })
  state!: TelegramState;

  @ApiProperty({ enum: ['connecting', 'connected', 'reconnecting', 'stopped', 'unknown'], example: 'connected' })
  connection!: TelegramConnection;

  @ApiProperty({ type: String, nullable: true, description: 'playlist, url, rtmp (live relay) or silence', example: 'playlist' })
  source!: string | null;

  @ApiProperty({ type: 'integer', example: 0 })
  reconnects!: number;

  @ApiProperty({ type: String, nullable: true, example: null })
  detail!: string | null;
}

export class SocketListenersDto {
  @ApiProperty({ type: 'integer', description: 'Clients of the public namespace on this instance', example: 42 })
  public!: number;

  @ApiProperty({ type: 'integer', description: 'Clients of /admin on this instance', example: 1 })
  admin!: number;
}

export class StationLeaderDto implements StationLeader {
  @ApiProperty({
    description: 'The instance (host, process id and a random part: a restarted instance is a new one)',
    example: 'wave-1-4711-9f3a2c',
  })
  instanceId!: string;

  @ApiProperty({ description: 'Where the other instances reach its API (WAVE_ADVERTISE_URL)', example: 'http://10.0.0.5:6970' })
  url!: string;

  @ApiProperty({ format: 'date-time', description: 'When it took the lead', example: '2026-01-01T20:00:00.000Z' })
  since!: string;
}

export class StreamingStatusDto implements StreamingStatus {
  @ApiProperty({
    type: StationLeaderDto,
    nullable: true,
    description:
      'The Wave instance that acts for the station (drives the ingest and the daemon); with several instances, the others forward station commands to it',
  })
  leader!: StationLeaderDto | null;

  @ApiProperty({ type: RtmpSummaryDto })
  rtmp!: RtmpSummaryDto;

  @ApiProperty({ type: TelegramSummaryDto })
  telegram!: TelegramSummaryDto;

  @ApiProperty({ type: NowPlayingDto, nullable: true })
  nowPlaying!: NowPlayingDto | null;

  @ApiProperty({
    type: [DestinationStatusDto],
    description: 'Simulcast destinations, Telegram first (GET /api/stream/destinations for their settings)',
  })
  destinations!: DestinationStatusDto[];

  @ApiProperty({ type: SocketListenersDto })
  listeners!: SocketListenersDto;

  @ApiProperty({ format: 'date-time', description: 'When the services were last read', example: '2026-01-01T20:00:01.000Z' })
  updatedAt!: string;
}
