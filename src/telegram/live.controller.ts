import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { LiveOverrideDto } from './dto/live-override.dto.js';
import { TelegramSourceService } from './telegram-source.service.js';

@ApiTags('telegram')
@Controller('api/stream/live')
export class LiveController {
  constructor(private readonly sources: TelegramSourceService) {}

  @Post('take')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Put the live DJ on the air',
    description:
      'The first DJ live on the RTMP ingest goes on the air (a fade, on the same Telegram connection), even with `liveTakeover` off, until that DJ stops publishing. 409 `no_live_dj` when nobody is live, `telegram_not_running` when the daemon does not run.',
  })
  @ApiOkResponse({ type: LiveOverrideDto })
  @ApiErrorResponses(409, 502, 503)
  take(): Promise<LiveOverrideDto> {
    return this.sources.take();
  }

  @Post('release')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Take the live DJ off the air',
    description:
      'Back to the programme (a fade, on the same Telegram connection); the DJ stays off the air until they publish again (a new session), through a Wave restart too. 409 `no_live_dj` when no DJ of the ingest is on the air, `telegram_not_running` when the daemon does not run.',
  })
  @ApiOkResponse({ type: LiveOverrideDto })
  @ApiErrorResponses(409, 502, 503)
  release(): Promise<LiveOverrideDto> {
    return this.sources.release();
  }
}
