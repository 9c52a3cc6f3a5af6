import { Module } from '@nestjs/common';
import { SocketAudience } from './socket-audience.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { TelegramModule } from '../telegram/telegram.module.js';
import {
  DockerRtmpStatusSource,
  NowPlayingSource,
  Pm2TelegramStatusSource,
  RtmpStatusSource,
  TelegramNowPlayingSource,
  TelegramStatusSource,
} from './status-sources.js';
import { StreamingController } from './streaming.controller.js';
import { StreamingStatusService } from './streaming-status.service.js';

@Module({
  imports: [RtmpModule, TelegramModule],
  controllers: [StreamingController],
  providers: [
    StreamingStatusService,
    SocketAudience,
    { provide: RtmpStatusSource, useClass: DockerRtmpStatusSource },
    { provide: TelegramStatusSource, useClass: Pm2TelegramStatusSource },
    { provide: NowPlayingSource, useClass: TelegramNowPlayingSource },
  ],
  exports: [StreamingStatusService, SocketAudience],
})
export class StreamingModule {}
