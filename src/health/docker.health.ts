import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DockerRepository } from '../repositories/docker.repository.js';

/** Up when the Docker engine answers (the RTMP ingest can be run): terminus' view of DockerRepository.probe. */
@Injectable()
export class DockerHealthIndicator {
  constructor(
    private readonly docker: DockerRepository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isReachable(key = 'docker') {
    const indicator = this.health.check(key);
    const { up, detail } = await this.docker.probe();
    return up ? indicator.up({ version: detail }) : indicator.down({ code: 'docker_unavailable', message: detail });
  }
}
