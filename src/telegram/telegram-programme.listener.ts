import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LeadershipService } from '../leadership/leadership.service.js';
import { OnEvent } from '@nestjs/event-emitter';
import type { WaveEventMap } from '../bus/wave-events.js';
import { DAEMON_COMMAND_TOPIC, DAEMON_PROCESS_NAME, type DaemonCommand } from '../contracts/daemon-messages.js';
import { ProgrammeService } from '../programme/programme.service.js';
import { Pm2Repository } from '../repositories/pm2.repository.js';

/**
 * Hands the programme's look-ahead to the running daemon: each `programme.upcoming` becomes a `set-upcoming` command.
 * When a daemon starts, or a restarted Wave finds one running, the programme decides again, so the daemon holds a
 * look-ahead from this Wave and reports (upcoming-accepted) what it started while Wave was away.
 */
@Injectable()
export class TelegramProgrammeListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(TelegramProgrammeListener.name);

  constructor(
    private readonly pm2: Pm2Repository,
    private readonly programme: ProgrammeService,
    private readonly leadership: LeadershipService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.leadership.whileLeading(
      'the look-ahead for a running daemon',
      () => this.decideForRunningDaemon(),
      () => undefined,
    );
  }

  /** A daemon already running (left by a previous Wave or leader) gets the look-ahead decided again. */
  private async decideForRunningDaemon(): Promise<void> {
    try {
      const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
      if (daemon?.status === 'online') this.programme.decideAgain('a running Telegram daemon was found');
    } catch (error) {
      this.logger.warn(`could not look for a running ${DAEMON_PROCESS_NAME}: ${(error as Error).message}`);
    }
  }

  @OnEvent('telegram.daemon.started')
  daemonStarted(): void {
    this.programme.decideAgain('the Telegram daemon started');
  }

  @OnEvent('programme.upcoming')
  async upcoming({ items }: WaveEventMap['programme.upcoming']): Promise<void> {
    // Only the leader talks to the daemon (an instance that lost the lead may still have a schedule timer armed).
    if (!this.leadership.isLeader) return;
    const command: DaemonCommand = { command: 'set-upcoming', items };
    try {
      const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
      if (daemon?.status === 'online') await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, command);
    } catch (error) {
      // The daemon keeps the look-ahead it has and then its own library order; the next decision tries again.
      this.logger.warn(`could not hand the look-ahead to ${DAEMON_PROCESS_NAME}: ${(error as Error).message}`);
    }
  }
}
