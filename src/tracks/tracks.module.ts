import { Module } from '@nestjs/common';
import { ProcessRepository } from '../repositories/process.repository.js';
import { TelegramModule } from '../telegram/telegram.module.js';
import { MediaProbeService } from './media-probe.service.js';
import { TracksController } from './tracks.controller.js';
import { TracksService } from './tracks.service.js';

@Module({
  imports: [TelegramModule],
  controllers: [TracksController],
  providers: [TracksService, MediaProbeService, ProcessRepository],
  exports: [TracksService],
})
export class TracksModule {}
