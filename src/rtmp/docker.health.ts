import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DockerRepository } from '../repositories/docker.repository.js';

/** Up when the Docker engine answers (the RTMP ingest can be run). */
@Injectable()
export class DockerHealthIndicator {
  constructor(
    private readonly docker: DockerRepository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isReachable(key = 'docker') {
    const indicator = this.health.check(key);
    try {
      await this.docker.ping();
      return indicator.up({ version: await this.docker.version() });
    } catch (error) {
      return indicator.down({ code: 'docker_unavailable', message: (error as Error).message });
    }
  }
}
