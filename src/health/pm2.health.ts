import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { DAEMON_PROCESS_NAME } from '../contracts/daemon-messages.js';

/**
 * Up when no PM2 daemon runs (Wave launches one with the Telegram stream) or when the running one answers;
 * down when a daemon is there but does not answer (Pm2Repository.probe). Reports the Telegram daemon's PM2 state.
 */
@Injectable()
export class Pm2HealthIndicator {
  constructor(
    private readonly pm2: Pm2Repository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isResponsive(key = 'pm2') {
    const indicator = this.health.check(key);
    const home = this.pm2.home;
    const probe = await this.pm2.probe();
    switch (probe.daemon) {
      case 'not running':
        return indicator.up({ daemon: 'not running', home });
      case 'running': {
        const telegram = probe.processes.find((p) => p.name === DAEMON_PROCESS_NAME);
        return indicator.up({ daemon: 'running', home, [DAEMON_PROCESS_NAME]: telegram?.status ?? 'not_started' });
      }
      case 'not answering':
        return indicator.down({ code: 'pm2_not_answering', daemon: 'not answering', home, message: probe.message });
    }
  }
}
