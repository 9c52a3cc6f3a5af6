import { Module } from '@nestjs/common';
import { MonitoringModule } from '../monitoring/monitoring.module.js';
import { StreamingModule } from '../streaming/streaming.module.js';
import { AdminGateway } from './admin.gateway.js';
import { PublicGateway } from './public.gateway.js';

/** The Socket.IO gateways (served by WaveSocketAdapter on SOCKET_PORT). */
@Module({
  imports: [StreamingModule, MonitoringModule],
  providers: [PublicGateway, AdminGateway],
})
export class RealtimeModule {}
