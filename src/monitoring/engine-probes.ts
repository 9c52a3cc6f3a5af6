import { Injectable } from '@nestjs/common';
import type { EngineStateDto } from './dto/monitoring.dto.js';

/** Reachability of the outside engines Wave drives; DI tokens bound by MonitoringModule to the repositories. */
export abstract class DockerEngineProbe {
  abstract state(): Promise<EngineStateDto>;
}

export abstract class Pm2DaemonProbe {
  abstract state(): Promise<EngineStateDto>;
}

@Injectable()
export class AbsentDockerEngineProbe extends DockerEngineProbe {
  state(): Promise<EngineStateDto> {
    return Promise.resolve({ state: 'unknown', detail: 'the RTMP module is not part of this build' });
  }
}

@Injectable()
export class AbsentPm2DaemonProbe extends Pm2DaemonProbe {
  state(): Promise<EngineStateDto> {
    return Promise.resolve({ state: 'unknown', detail: 'the Telegram module is not part of this build' });
  }
}
