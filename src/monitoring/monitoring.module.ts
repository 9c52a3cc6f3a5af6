import { Module } from '@nestjs/common';
import { Pm2Module } from '../repositories/pm2.module.js';
import { RtmpModule } from '../rtmp/rtmp.module.js';
import { StreamingModule } from '../streaming/streaming.module.js';
import { DockerEngineProbe, DockerRepositoryProbe, Pm2DaemonProbe, Pm2RepositoryProbe } from './engine-probes.js';
import { LogFiles } from './log-files.service.js';
import { MetricsService } from './metrics.service.js';
import { MonitoringController, PrometheusController } from './monitoring.controller.js';
import { MonitoringService } from './monitoring.service.js';

@Module({
  imports: [StreamingModule, RtmpModule, Pm2Module],
  controllers: [MonitoringController, PrometheusController],
  providers: [
    MonitoringService,
    MetricsService,
    LogFiles,
    { provide: DockerEngineProbe, useClass: DockerRepositoryProbe },
    { provide: Pm2DaemonProbe, useClass: Pm2RepositoryProbe },
  ],
  exports: [LogFiles, MetricsService],
})
export class MonitoringModule {}
