import { Module } from '@nestjs/common';
import { MediaProbeService } from './media-probe.service.js';

/** ffprobe for whoever checks a media file by its content: the track library and the Telegram cover. */
@Module({
  providers: [MediaProbeService],
  exports: [MediaProbeService],
})
export class MediaProbeModule {}
