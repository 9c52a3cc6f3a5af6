import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataDirHealthIndicator } from './data-dir.health.js';
import { HealthController } from './health.controller.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { Pm2HealthIndicator } from './pm2.health.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' }), RtmpModule],
  controllers: [HealthController],
  providers: [DataDirHealthIndicator, Pm2HealthIndicator],
})
export class HealthModule {}
