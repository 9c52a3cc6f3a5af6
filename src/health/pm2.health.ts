import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { DAEMON_PROCESS_NAME } from '../telegram/daemon/daemon-messages.js';

/** A health probe answers quickly even when PM2 does not. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Up when no PM2 daemon runs (Wave launches one with the Telegram stream) or when the running one answers;
 * down when a daemon is there but does not answer. Reports the Telegram daemon's PM2 state.
 */
@Injectable()
export class Pm2HealthIndicator {
  constructor(
    private readonly pm2: Pm2Repository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isResponsive(key = 'pm2') {
    const indicator = this.health.check(key);
    if (!(await this.pm2.isDaemonRunning())) return indicator.up({ daemon: 'not running', home: this.pm2.home });
    let timer: NodeJS.Timeout | undefined;
    try {
      const processes = await Promise.race([
        this.pm2.list(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`PM2 did not answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
        }),
      ]);
      const telegram = processes.find((p) => p.name === DAEMON_PROCESS_NAME);
      return indicator.up({ daemon: 'running', home: this.pm2.home, [DAEMON_PROCESS_NAME]: telegram?.status ?? 'not_started' });
    } catch (error) {
      return indicator.down({ code: 'pm2_not_answering', daemon: 'not answering', home: this.pm2.home, message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
