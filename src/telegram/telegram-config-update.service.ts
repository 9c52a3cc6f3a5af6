import { Injectable } from '@nestjs/common';
import type { TelegramConfigUpdateResultDto, UpdateTelegramConfigDto } from './dto/telegram-config.dto.js';
import type { SoundSettings } from '../contracts/daemon-messages.js';
import { soundSettings, TELEGRAM_CONFIG_DOCUMENT, type TelegramConfigDocument } from './telegram-config.document.js';
import { TelegramConfigService, toConfigView } from './telegram-config.service.js';
import { TelegramSourceService } from './telegram-source.service.js';
import { TelegramStreamService } from './telegram-stream.service.js';

/** Settings the daemon reads only at start. */
const RESTART_FIELDS: Array<keyof TelegramConfigDocument> = [
  'serverUrl',
  'streamKey',
  'audioBitrateKbps',
  'sampleRate',
  'coverImage',
  'shuffle',
  'loop',
];
/** Settings a running daemon takes live (the source it plays, and whether a DJ may take the air). */
const SOURCE_FIELDS = ['source', 'radioUrl', 'relayUrl', 'liveTakeover'] as const;
/** Sound settings: a running daemon takes them live too (`set-sound`), from its next track or switch. */
const SOUND_FIELDS = Object.keys(soundSettings(TELEGRAM_CONFIG_DOCUMENT.defaults())) as Array<keyof SoundSettings>;

/**
 * `PUT /api/stream/telegram/config`: saves the config and applies it. While the daemon runs, a source change
 * goes on the air at once (same connection; after the DJ hands back when a live takeover holds the air);
 * other changes are read at the next start, which the result says.
 */
@Injectable()
export class TelegramConfigUpdateService {
  constructor(
    private readonly configs: TelegramConfigService,
    private readonly stream: TelegramStreamService,
    private readonly sources: TelegramSourceService,
  ) {}

  async update(changes: UpdateTelegramConfigDto): Promise<TelegramConfigUpdateResultDto> {
    const { before, after } = await this.configs.update(changes);
    const running = await this.stream.running();
    const sourceChanged = SOURCE_FIELDS.some((field) => before[field] !== after[field]);
    const switched = running && sourceChanged ? await this.sources.sourceConfigured() : true;
    const soundChanged = SOUND_FIELDS.some((field) => before[field] !== after[field]);
    const soundApplied = running && soundChanged ? await this.stream.applySound(soundSettings(after)) : true;
    // A switch or sound the daemon could not be told of (PM2 failing; logged) is read at its next start.
    const restartRequired = running && (!switched || !soundApplied || RESTART_FIELDS.some((field) => before[field] !== after[field]));
    return { ...toConfigView(after), restartRequired };
  }
}
