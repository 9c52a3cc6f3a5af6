import { Injectable } from '@nestjs/common';
import { DockerRepository } from '../repositories/docker.repository.js';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import type { EngineStateDto } from './dto/monitoring.dto.js';

/** Reachability of the outside engines Wave drives; DI tokens bound by MonitoringModule to the repositories. */
export abstract class DockerEngineProbe {
  abstract state(): Promise<EngineStateDto>;
}

export abstract class Pm2DaemonProbe {
  abstract state(): Promise<EngineStateDto>;
}

/** Up while the engine answers a ping (detail: its version). */
@Injectable()
export class DockerRepositoryProbe extends DockerEngineProbe {
  constructor(private readonly docker: DockerRepository) {
    super();
  }

  async state(): Promise<EngineStateDto> {
    try {
      await this.docker.ping();
      return { state: 'up', detail: await this.docker.version() };
    } catch (error) {
      return { state: 'down', detail: (error as Error).message };
    }
  }
}

/** Up while a PM2 daemon answers (Wave does not launch one just to look). */
@Injectable()
export class Pm2RepositoryProbe extends Pm2DaemonProbe {
  constructor(private readonly pm2: Pm2Repository) {
    super();
  }

  async state(): Promise<EngineStateDto> {
    return (await this.pm2.isDaemonRunning())
      ? { state: 'up', detail: null }
      : { state: 'down', detail: 'no PM2 daemon answers (it starts with the Telegram stream)' };
  }
}
