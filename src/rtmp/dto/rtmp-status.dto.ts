import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PortBindingDto {
  @ApiProperty({ type: 'integer', example: 1935 })
  containerPort!: number;

  @ApiProperty({ type: 'integer', example: 1935 })
  hostPort!: number;

  @ApiProperty({ example: '0.0.0.0' })
  hostIp!: string;
}

export class RtmpContainerStatusDto {
  @ApiProperty({ example: '4f1c2e3d5a6b7c8d9e0f4f1c2e3d5a6b7c8d9e0f4f1c2e3d5a6b7c8d9e0f1a2b' })
  id!: string;

  @ApiProperty({ example: 'wave-rtmp' })
  name!: string;

  @ApiProperty({ example: 'wave/rtmp:latest' })
  image!: string;

  @ApiProperty({ example: 'running', description: "Docker's state word" })
  dockerStatus!: string;

  @ApiPropertyOptional({ example: '2026-01-01T12:00:00.000Z' })
  startedAt?: string;

  @ApiPropertyOptional({ type: 'integer', example: 3600 })
  uptimeSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', example: 0 })
  exitCode?: number;

  @ApiProperty({ type: [PortBindingDto] })
  ports!: PortBindingDto[];
}

export class RtmpPublisherDto {
  @ApiProperty({ example: '****2d9f', description: 'Stream name (= stream key), masked' })
  stream!: string;

  @ApiProperty({
    example: 'Xq3v9LkT2mPa8sWd',
    description: 'Opaque id of the publisher, as rtmp.publish events name it (stable while this Wave process runs)',
  })
  publisherId!: string;

  @ApiProperty({ example: 'live' })
  application!: string;

  @ApiPropertyOptional({ type: 'integer', example: 7 })
  clientId?: number;

  @ApiPropertyOptional({ example: '172.17.0.1' })
  address?: string;

  @ApiProperty({ type: 'integer', example: 42 })
  publishingSeconds!: number;

  @ApiProperty({ type: 'integer', example: 1_450_000, description: 'bits/s' })
  bitrateIn!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'bits/s' })
  bitrateOut!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  clients!: number;

  @ApiPropertyOptional({ example: 'H264' })
  videoCodec?: string;

  @ApiPropertyOptional({ example: 'AAC' })
  audioCodec?: string;
}

export class RtmpServerStatsDto {
  @ApiPropertyOptional({ example: '1.22.1' })
  nginxVersion?: string;

  @ApiProperty({ type: 'integer', example: 3600 })
  uptimeSeconds!: number;

  @ApiProperty({ type: 'integer', example: 12, description: 'Connections accepted since nginx started' })
  connectionsAccepted!: number;

  @ApiProperty({ type: 'integer', example: 1_450_000, description: 'bits/s' })
  bitrateIn!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'bits/s' })
  bitrateOut!: number;

  @ApiProperty({ type: 'integer', example: 1, description: 'Connections open now' })
  clients!: number;

  @ApiProperty({ type: [RtmpPublisherDto] })
  publishers!: RtmpPublisherDto[];
}

export class RtmpStatusDto {
  @ApiProperty({ enum: ['running', 'stopped', 'restarting', 'paused'], example: 'running' })
  state!: 'running' | 'stopped' | 'restarting' | 'paused';

  @ApiProperty({ example: 'rtmp://127.0.0.1:1935/live', description: 'Where DJs publish (append /<stream key>)' })
  publishUrl!: string;

  @ApiPropertyOptional({ type: RtmpContainerStatusDto })
  container?: RtmpContainerStatusDto;

  @ApiPropertyOptional({ type: RtmpServerStatsDto, description: "nginx-rtmp's /stat while running" })
  stats?: RtmpServerStatsDto;

  @ApiPropertyOptional({ example: 'nginx /stat answered 502' })
  statsError?: string;
}
