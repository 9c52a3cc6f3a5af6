import { Module } from '@nestjs/common';
import { LeadershipModule } from '../leadership/leadership.module.js';
import { MediaProbeModule } from '../media/media-probe.module.js';
import { ProgrammeModule } from '../programme/programme.module.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { TracksModule } from '../tracks/tracks.module.js';
import { LiveController } from './live.controller.js';
import { NowPlayingController } from './now-playing.controller.js';
import { NowPlayingService } from './now-playing.service.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramConfigUpdateService } from './telegram-config-update.service.js';
import { TelegramController } from './telegram.controller.js';
import { TelegramPlaylistListener } from './telegram-playlist.listener.js';
import { TelegramProgrammeListener } from './telegram-programme.listener.js';
import { TelegramReportListener } from './telegram-report.listener.js';
import { TelegramSoundListener } from './telegram-sound.listener.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';

@Module({
  imports: [RtmpModule, MediaProbeModule, TracksModule, ProgrammeModule, LeadershipModule],
  controllers: [TelegramController, NowPlayingController, LiveController],
  providers: [
    NowPlayingService,
    TelegramReportListener,
    TelegramStreamService,
    TelegramConfigService,
    TelegramConfigUpdateService,
    TelegramSourceService,
    TelegramPlaylistListener,
    TelegramProgrammeListener,
    TelegramSoundListener,
  ],
  exports: [TelegramStreamService, TelegramConfigService, NowPlayingService],
})
export class TelegramModule {}
