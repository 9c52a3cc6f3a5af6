import { Module } from '@nestjs/common';
import { LeadershipModule } from '../leadership/leadership.module.js';
import { RtmpIngestKeys } from './ingest-keys.js';
import { LiveIngest } from './live-ingest.js';
import { RtmpCallbackServer } from './rtmp-callback.server.js';
import { RtmpConfigService } from './rtmp-config.service.js';
import { RtmpContainerWatcher } from './rtmp-container.watcher.js';
import { RtmpPublishAuthService } from './rtmp-publish-auth.service.js';
import { RtmpController } from './rtmp.controller.js';
import { RtmpService } from './rtmp.service.js';

/** The RTMP ingest providers, without the boot-time watcher (the CLI uses these alone). */
export const RTMP_CORE_PROVIDERS = [RtmpConfigService, RtmpIngestKeys, RtmpPublishAuthService, RtmpCallbackServer, RtmpService];

/** RTMP ingest: nginx-rtmp in Docker — lifecycle, config, status, publish callbacks. */
@Module({
  imports: [LeadershipModule],
  controllers: [RtmpController],
  providers: [...RTMP_CORE_PROVIDERS, RtmpContainerWatcher, { provide: LiveIngest, useExisting: RtmpService }],
  exports: [RtmpService, LiveIngest],
})
export class RtmpModule {}
