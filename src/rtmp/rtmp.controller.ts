import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { RtmpConfigResponseDto, UpdateRtmpConfigDto } from './dto/rtmp-config.dto.js';
import { RtmpStatusDto } from './dto/rtmp-status.dto.js';
import { RtmpConfigView } from './rtmp-config.service.js';
import { RtmpService, RtmpStatus } from './rtmp.service.js';

@ApiTags('rtmp')
@Controller('api/stream/rtmp')
export class RtmpController {
  constructor(private readonly rtmp: RtmpService) {}

  @Get('status')
  @ApiOperation({ summary: 'Ingest state from Docker, and publishers, bitrates and clients from nginx-rtmp /stat' })
  @ApiOkResponse({ type: RtmpStatusDto })
  @ApiErrorResponses(503, 504)
  status(): Promise<RtmpStatus> {
    return this.rtmp.status();
  }

  @Post('start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start the nginx-rtmp container (idempotent: when running, answers its status)' })
  @ApiOkResponse({ type: RtmpStatusDto })
  @ApiErrorResponses(409, 502, 503, 504)
  start(): Promise<RtmpStatus> {
    return this.rtmp.start();
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop and remove the container (idempotent)' })
  @ApiOkResponse({ type: RtmpStatusDto })
  @ApiErrorResponses(503, 504)
  stop(): Promise<RtmpStatus> {
    return this.rtmp.stop();
  }

  @Post('restart')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the container with a fresh one on the current config' })
  @ApiOkResponse({ type: RtmpStatusDto })
  @ApiErrorResponses(409, 502, 503, 504)
  restart(): Promise<RtmpStatus> {
    return this.rtmp.restart();
  }

  @Get('config')
  @ApiOperation({ summary: 'RTMP settings (stream keys masked)' })
  @ApiOkResponse({ type: RtmpConfigResponseDto })
  config(): Promise<RtmpConfigView> {
    return this.rtmp.config();
  }

  @Put('config')
  @ApiOperation({
    summary: 'Update RTMP settings (partial); checked with nginx -t, applied to a running ingest, rolled back on failure',
  })
  @ApiOkResponse({ type: RtmpConfigResponseDto })
  @ApiErrorResponses(400, 409, 422, 503, 504)
  updateConfig(@Body() body: UpdateRtmpConfigDto): Promise<RtmpConfigView> {
    return this.rtmp.updateConfig(body);
  }
}
