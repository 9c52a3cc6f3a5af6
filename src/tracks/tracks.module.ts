import { Module } from '@nestjs/common';
import { TelegramModule } from '../telegram/telegram.module.js';
import { MediaProbeModule } from '../media/media-probe.module.js';
import { TracksController } from './tracks.controller.js';
import { TracksService } from './tracks.service.js';

@Module({
  imports: [TelegramModule, MediaProbeModule],
  controllers: [TracksController],
  providers: [TracksService],
  exports: [TracksService],
})
export class TracksModule {}
