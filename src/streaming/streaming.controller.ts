import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StreamingStatusDto } from './dto/streaming-status.dto.js';
import { StreamingStatusService } from './streaming-status.service.js';

@ApiTags('streaming')
@Controller('api/streaming')
export class StreamingController {
  constructor(private readonly streamingStatus: StreamingStatusService) {}

  @Get('status')
  @ApiOperation({
    summary: 'One view of the station: RTMP ingest, Telegram stream, now playing, socket listeners',
    description:
      'Read from Docker and PM2: re-read at once after any state change Wave sees, and in the background once a read is 1 s old. ' +
      'The same object is pushed to /admin socket clients as `status`.',
  })
  @ApiOkResponse({ type: StreamingStatusDto })
  status(): Promise<StreamingStatusDto> {
    return this.streamingStatus.current();
  }
}
