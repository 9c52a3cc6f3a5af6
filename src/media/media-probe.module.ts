import { Module } from '@nestjs/common';
import { ProcessRepository } from '../repositories/process.repository.js';
import { MediaProbeService } from './media-probe.service.js';

/** ffprobe for whoever checks a media file by its content: the track library and the Telegram cover. */
@Module({
  providers: [MediaProbeService, ProcessRepository],
  exports: [MediaProbeService, ProcessRepository],
})
export class MediaProbeModule {}
