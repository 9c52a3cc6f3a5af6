import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NowPlayingResponseDto } from './dto/now-playing.dto.js';
import { NowPlayingService } from './now-playing.service.js';

/** `GET /api/tracks/now-playing` (its seed path, beside the library), answered by now playing's owner. */
@ApiTags('tracks')
@Controller('api/tracks')
export class NowPlayingController {
  constructor(private readonly owner: NowPlayingService) {}

  @Get('now-playing')
  @ApiOperation({
    summary: 'What the Telegram stream is playing (reported by its daemon when the audio reaches the ingest)',
    description: 'From memory: the same now playing as /api/stream/telegram/status, /api/streaming/status and the socket statuses.',
  })
  @ApiOkResponse({ type: NowPlayingResponseDto })
  nowPlaying(): NowPlayingResponseDto {
    return { nowPlaying: this.owner.current() };
  }
}
