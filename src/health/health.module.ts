import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataDirHealthIndicator } from './data-dir.health.js';
import { HealthController } from './health.controller.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { Pm2Module } from '../repositories/pm2.module.js';
import { Pm2HealthIndicator } from './pm2.health.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' }), RtmpModule, Pm2Module],
  controllers: [HealthController],
  providers: [DataDirHealthIndicator, Pm2HealthIndicator],
})
export class HealthModule {}
