import { LeadershipModule } from '../leadership/leadership.module.js';
import { Module } from '@nestjs/common';
import { StreamingModule } from '../streaming/streaming.module.js';
import { LogFiles } from './log-files.service.js';
import { MetricsService } from './metrics.service.js';
import { MonitoringController, PrometheusController } from './monitoring.controller.js';
import { MonitoringService } from './monitoring.service.js';

@Module({
  imports: [StreamingModule, LeadershipModule],
  controllers: [MonitoringController, PrometheusController],
  providers: [MonitoringService, MetricsService, LogFiles],
  exports: [LogFiles, MetricsService],
})
export class MonitoringModule {}
