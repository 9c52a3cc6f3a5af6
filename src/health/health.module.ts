import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataDirHealthIndicator } from './data-dir.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HealthController } from './health.controller.js';
import { DockerHealthIndicator } from './docker.health.js';
import { Pm2HealthIndicator } from './pm2.health.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  controllers: [HealthController],
  providers: [DataDirHealthIndicator, DatabaseHealthIndicator, DockerHealthIndicator, Pm2HealthIndicator],
})
export class HealthModule {}
