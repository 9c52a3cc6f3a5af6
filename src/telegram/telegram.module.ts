import { Module } from '@nestjs/common';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { MediaProbeModule } from '../tracks/media-probe.module.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramController } from './telegram.controller.js';
import { TelegramDaemonReport } from './telegram-daemon-report.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';

@Module({
  imports: [RtmpModule, MediaProbeModule],
  controllers: [TelegramController],
  providers: [TelegramConfigService, TelegramDaemonReport, TelegramSourceService, TelegramStreamService],
  exports: [TelegramStreamService, TelegramConfigService],
})
export class TelegramModule {}
