import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { DAEMON_COMMAND_TOPIC, DAEMON_PROCESS_NAME } from '../contracts/daemon-messages.js';

/** Library changes within this long reach the running daemon as one playlist reload. */
export const RELOAD_DEBOUNCE_MS = 250;

/**
 * The library's file changed (`tracks.snapshot`, after `tracks.updated`): a running daemon is told to re-read the playlist now, once per
 * burst of changes. It also re-reads it at every track boundary, so a reload it misses costs one track.
 */
@Injectable()
export class TelegramPlaylistListener implements OnModuleDestroy {
  private readonly logger = new Logger(TelegramPlaylistListener.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pm2: Pm2Repository) {}

  @OnEvent('tracks.snapshot')
  libraryChanged(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload();
    }, RELOAD_DEBOUNCE_MS);
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Tells an online daemon to re-read the playlist (resolves once told, or once that failed, which is logged). */
  async reload(): Promise<void> {
    try {
      const daemon = await this.pm2.describe(DAEMON_PROCESS_NAME);
      if (daemon?.status === 'online') await this.pm2.sendData(daemon.pmId, DAEMON_COMMAND_TOPIC, { command: 'reload-playlist' });
    } catch (error) {
      this.logger.warn(`could not ask ${DAEMON_PROCESS_NAME} to reload its playlist: ${(error as Error).message}`);
    }
  }
}
