import { Module } from '@nestjs/common';
import { SocketAudience } from '../events/socket-audience.js';
import {
  AbsentRtmpStatusSource,
  AbsentTelegramStatusSource,
  NowPlayingSource,
  RtmpStatusSource,
  StoredNowPlayingSource,
  TelegramStatusSource,
} from './status-sources.js';
import { StreamingController } from './streaming.controller.js';
import { StreamingStatusService } from './streaming-status.service.js';

@Module({
  controllers: [StreamingController],
  providers: [
    StreamingStatusService,
    SocketAudience,
    { provide: RtmpStatusSource, useClass: AbsentRtmpStatusSource },
    { provide: TelegramStatusSource, useClass: AbsentTelegramStatusSource },
    { provide: NowPlayingSource, useClass: StoredNowPlayingSource },
  ],
  exports: [StreamingStatusService, SocketAudience],
})
export class StreamingModule {}
