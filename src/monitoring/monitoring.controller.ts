import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { LogsDto, LogsQueryDto, MetricsSummaryDto, ServicesDto, SystemInfoDto } from './dto/monitoring.dto.js';
import { MetricsService } from './metrics.service.js';
import { MonitoringService } from './monitoring.service.js';

@ApiTags('monitoring')
@Controller('api/monitoring')
export class MonitoringController {
  constructor(private readonly monitoring: MonitoringService) {}

  @Get('system')
  @ApiOperation({ summary: 'Host and process: CPU load, memory, uptime, disk of DATA_DIR, process memory' })
  @ApiOkResponse({ type: SystemInfoDto })
  system(): Promise<SystemInfoDto> {
    return this.monitoring.system();
  }

  @Get('services')
  @ApiOperation({ summary: 'State of the RTMP ingest, the Telegram stream, the Docker engine and the PM2 daemon' })
  @ApiOkResponse({ type: ServicesDto })
  services(): Promise<ServicesDto> {
    return this.monitoring.services();
  }

  @Get('logs')
  @ApiOperation({ summary: "The last lines of Wave's or the Telegram daemon's log (at most 1000, secrets redacted)" })
  @ApiOkResponse({ type: LogsDto })
  @ApiErrorResponses(400)
  logs(@Query() query: LogsQueryDto): Promise<LogsDto> {
    return this.monitoring.logs(query.service, query.lines);
  }

  @Get('metrics')
  @ApiOperation({ summary: 'A summary of the metrics (the full set is Prometheus text at GET /metrics)' })
  @ApiOkResponse({ type: MetricsSummaryDto })
  metrics(): Promise<MetricsSummaryDto> {
    return this.monitoring.summary();
  }
}

/**
 * Prometheus scrape endpoint. Like /health it is outside /api and never needs the token: it carries
 * counts and states only, no secrets; restrict it at the network edge if needed.
 */
@ApiTags('monitoring')
@SkipThrottle()
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format); no token needed' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string', example: '# HELP wave_socket_clients …' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', this.metrics.contentType);
    return this.metrics.metrics();
  }
}
