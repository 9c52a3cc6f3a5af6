import { LeadershipModule } from '../leadership/leadership.module.js';
import { Module } from '@nestjs/common';
import { SocketAudience } from './socket-audience.js';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { TelegramModule } from '../telegram/telegram.module.js';
import {
  DestinationsStatusSource,
  DockerRtmpStatusSource,
  NowPlayingSource,
  Pm2TelegramStatusSource,
  ReportedDestinationsStatusSource,
  RtmpStatusSource,
  TelegramNowPlayingSource,
  TelegramStatusSource,
} from './status-sources.js';
import { StreamingController } from './streaming.controller.js';
import { StreamingStatusService } from './streaming-status.service.js';

@Module({
  imports: [RtmpModule, TelegramModule, DestinationsModule, LeadershipModule],
  controllers: [StreamingController],
  providers: [
    StreamingStatusService,
    SocketAudience,
    { provide: RtmpStatusSource, useClass: DockerRtmpStatusSource },
    { provide: TelegramStatusSource, useClass: Pm2TelegramStatusSource },
    { provide: NowPlayingSource, useClass: TelegramNowPlayingSource },
    { provide: DestinationsStatusSource, useClass: ReportedDestinationsStatusSource },
  ],
  exports: [StreamingStatusService, SocketAudience],
})
export class StreamingModule {}
