import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { TELEGRAM_CONFIG_DOCUMENT } from './telegram-config.document.js';
import { TelegramConfigService } from './telegram-config.service.js';

/**
 * Tells the rest of Wave the sound settings the library depends on (`sound.settings`: the track analysis detects cues
 * at `silenceThresholdDb`), at boot and after each change of the Telegram config, so the library need not read it.
 */
@Injectable()
export class TelegramSoundListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(TelegramSoundListener.name);

  constructor(
    private readonly config: TelegramConfigService,
    private readonly events: WaveEvents,
  ) {}

  onApplicationBootstrap(): void {
    // After every module's bootstrap: the listeners are registered by then.
    setImmediate(() => void this.announce());
  }

  @OnEvent('config.updated')
  configUpdated({ document }: WaveEventMap['config.updated']): void {
    if (document === TELEGRAM_CONFIG_DOCUMENT.file) void this.announce();
  }

  private async announce(): Promise<void> {
    try {
      const { silenceThresholdDb } = await this.config.read();
      this.events.emit('sound.settings', { silenceThresholdDb, at: new Date().toISOString() });
    } catch (error) {
      this.logger.warn(`could not read the sound settings: ${(error as Error).message}`);
    }
  }
}
