import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { TelegramConfigDto, TelegramConfigUpdateResultDto, UpdateTelegramConfigDto } from './dto/telegram-config.dto.js';
import { SkipResultDto, TelegramStatusDto } from './dto/telegram-status.dto.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramConfigUpdateService } from './telegram-config-update.service.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';

@ApiTags('telegram')
@Controller('api/stream/telegram')
export class TelegramController {
  constructor(
    private readonly stream: TelegramStreamService,
    private readonly configService: TelegramConfigService,
    private readonly configUpdates: TelegramConfigUpdateService,
    private readonly sources: TelegramSourceService,
  ) {}

  @Get('config')
  @ApiOperation({ summary: 'The Telegram stream config (the stream key masked)' })
  @ApiOkResponse({ type: TelegramConfigDto })
  getConfig(): Promise<TelegramConfigDto> {
    return this.configService.view();
  }

  @Put('config')
  @ApiOperation({
    summary: 'Change the Telegram stream config',
    description:
      'Only the given fields change. A rejected update (400) changes nothing. While the daemon runs, a source change goes on the air at once.',
  })
  @ApiOkResponse({ type: TelegramConfigUpdateResultDto })
  @ApiErrorResponses(400, 502, 503, 504)
  updateConfig(@Body() body: UpdateTelegramConfigDto): Promise<TelegramConfigUpdateResultDto> {
    return this.configUpdates.update(body);
  }

  @Post('start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start the Telegram stream daemon under PM2 (no-op when running)' })
  @ApiOkResponse({ type: TelegramStatusDto })
  @ApiErrorResponses(400, 409, 502, 503)
  start(): Promise<TelegramStatusDto> {
    return this.stream.start();
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the Telegram stream daemon (no-op when stopped)' })
  @ApiOkResponse({ type: TelegramStatusDto })
  @ApiErrorResponses(502, 503)
  stop(): Promise<TelegramStatusDto> {
    return this.stream.stop();
  }

  @Post('restart')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart the Telegram stream daemon (starts it when stopped)' })
  @ApiOkResponse({ type: TelegramStatusDto })
  @ApiErrorResponses(400, 409, 502, 503)
  restart(): Promise<TelegramStatusDto> {
    return this.stream.restart();
  }

  @Post('skip')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Skip the track on the air',
    description:
      'The next track (already decoded) starts at once, on the same connection, with no gap; it is the one `nowPlaying.next` named. 409 when the daemon does not run or a radio URL or a DJ is on the air.',
  })
  @ApiOkResponse({ type: SkipResultDto })
  @ApiErrorResponses(409, 502, 503)
  skip(): Promise<SkipResultDto> {
    return this.stream.skip();
  }

  @Get('status')
  @ApiOperation({ summary: "The daemon's PM2 state, resources, ingest connection and now playing" })
  @ApiOkResponse({ type: TelegramStatusDto })
  @ApiErrorResponses(502, 503)
  async status(): Promise<TelegramStatusDto> {
    const [status, liveOverride] = await Promise.all([this.stream.status(), this.sources.overrideView()]);
    return { ...status, liveOverride };
  }
}
