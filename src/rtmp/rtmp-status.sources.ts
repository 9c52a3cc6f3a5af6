import { Injectable } from '@nestjs/common';
import type { RtmpStatusView } from '../events/socket-events.js';
import { EngineStateDto } from '../monitoring/dto/monitoring.dto.js';
import { DockerEngineProbe } from '../monitoring/engine-probes.js';
import { DockerRepository } from '../repositories/docker.repository.js';
import { RtmpStatusSource } from '../streaming/status-sources.js';
import { RtmpService } from './rtmp.service.js';

const VIEW_STATE = { running: 'running', restarting: 'starting', paused: 'error', stopped: 'stopped' } as const;

/** The ingest's state for /api/streaming/status and the real-time broadcasts (bind to RtmpStatusSource). */
@Injectable()
export class DockerRtmpStatusSource extends RtmpStatusSource {
  constructor(private readonly rtmp: RtmpService) {
    super();
  }

  async read(): Promise<RtmpStatusView> {
    try {
      const status = await this.rtmp.status();
      const rtmpPort = Number(new URL(status.publishUrl.replace(/^rtmp:/, 'http:')).port) || null;
      return {
        state: VIEW_STATE[status.state],
        publishers: status.stats?.publishers.length ?? 0,
        port: status.state === 'running' ? rtmpPort : null,
        detail: status.statsError ?? (status.state === 'paused' ? 'the container is paused' : null),
      };
    } catch (error) {
      return { state: 'unknown', publishers: 0, port: null, detail: (error as Error).message };
    }
  }
}

/** Reachability of the Docker engine for monitoring (bind to DockerEngineProbe). */
@Injectable()
export class DockerRepositoryProbe extends DockerEngineProbe {
  constructor(private readonly docker: DockerRepository) {
    super();
  }

  async state(): Promise<EngineStateDto> {
    try {
      return { state: 'up', detail: await this.docker.version() };
    } catch (error) {
      return { state: 'down', detail: (error as Error).message };
    }
  }
}
