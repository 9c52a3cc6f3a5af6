import { Injectable, OnModuleInit } from '@nestjs/common';
import { maskSecret, redact, registerSecret } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import { DocumentStore, DocumentValidationError } from '../documents/document-store.service.js';
import { WaveEvents } from '../bus/wave-events.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import { resolveServerFile } from '../media/server-file.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import type { TelegramConfigDto, UpdateTelegramConfigDto } from './dto/telegram-config.dto.js';
import { soundSettings, TELEGRAM_CONFIG_DOCUMENT, type TelegramConfigDocument } from './telegram-config.document.js';

export interface TelegramConfigChange {
  before: TelegramConfigDocument;
  after: TelegramConfigDocument;
}

/**
 * `DATA_DIR/telegram-config.json`. The stream key is registered with the log redaction as soon as it is
 * known and leaves Wave only masked; the daemon reads the file itself when it starts.
 */
@Injectable()
export class TelegramConfigService implements OnModuleInit {
  constructor(
    private readonly store: DocumentStore,
    private readonly config: AppConfig,
    private readonly events: WaveEvents,
    private readonly probe: MediaProbeService,
    private readonly storage: StorageRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.read();
  }

  async read(): Promise<TelegramConfigDocument> {
    const current = await this.store.read(TELEGRAM_CONFIG_DOCUMENT);
    registerSecrets(current);
    return current;
  }

  async view(): Promise<TelegramConfigDto> {
    return toConfigView(await this.read());
  }

  /** Applies the given fields; a rejected update (400) leaves the file as it was. */
  async update(changes: UpdateTelegramConfigDto): Promise<TelegramConfigChange> {
    const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<TelegramConfigDocument>;
    this.assertOutboundAllowed(given);
    if (given.coverImage) await this.assertCoverImage(given.coverImage);
    let before: TelegramConfigDocument | undefined;
    try {
      const after = await this.store.update(TELEGRAM_CONFIG_DOCUMENT, (current) => {
        before = current;
        return { ...current, ...given, ...maskedEchoesKept(current, given) };
      });
      // Only a saved key is a secret: a rejected value would mask that text in every later log line.
      registerSecrets(after);
      this.events.emit('config.updated', { document: TELEGRAM_CONFIG_DOCUMENT.file, at: new Date().toISOString() });
      return { before: before!, after };
    } catch (error) {
      if (error instanceof DocumentValidationError) throw new WaveError(400, 'invalid_config', error.problems);
      throw error;
    }
  }

  /**
   * A URL written with a private, loopback or link-local address is refused here, where the operator sees
   * it; one whose host name resolves to such an address is refused by the daemon when it connects.
   */
  private assertOutboundAllowed(given: Partial<TelegramConfigDocument>): void {
    const problems = (['serverUrl', 'radioUrl', 'relayUrl'] as const).flatMap((field) => {
      const why = given[field] ? this.config.outbound.literalRefusal(given[field]) : null;
      return why ? [`${field} must not point at ${why}`] : [];
    });
    if (problems.length > 0) throw new WaveError(400, 'invalid_config', problems);
  }

  /**
   * The cover follows the track paths' rules (relative: inside DATA_DIR, where the daemon resolves it;
   * absolute: not in a system folder) and must be an image ffprobe reads.
   */
  private async assertCoverImage(path: string): Promise<void> {
    const file = await resolveServerFile(
      path,
      {
        field: 'coverImage',
        code: 'invalid_config',
        baseDir: this.config.dataDir,
        baseName: 'DATA_DIR',
      },
      this.storage,
    );
    if (!(await this.probe.isImage(file)))
      throw new WaveError(400, 'invalid_config', [`coverImage ${path} is not an image ffprobe can read`]);
  }
}

export function toConfigView(config: TelegramConfigDocument): TelegramConfigDto {
  return {
    serverUrl: config.serverUrl,
    streamKey: maskSecret(config.streamKey),
    streamKeySet: config.streamKey.length > 0,
    source: config.source,
    radioUrl: redact(config.radioUrl),
    relayUrl: redact(config.relayUrl),
    liveTakeover: config.liveTakeover,
    audioBitrateKbps: config.audioBitrateKbps,
    sampleRate: config.sampleRate,
    coverImage: config.coverImage,
    shuffle: config.shuffle,
    loop: config.loop,
    ...soundSettings(config),
  };
}

/**
 * A source URL sent back exactly as GET shows it (masked) keeps the stored value, so a client that
 * round-trips the config does not overwrite the real URL with its masked view.
 */
function maskedEchoesKept(current: TelegramConfigDocument, given: Partial<TelegramConfigDocument>): Partial<TelegramConfigDocument> {
  const kept: Partial<TelegramConfigDocument> = {};
  for (const field of ['radioUrl', 'relayUrl'] as const) {
    const masked = redact(current[field]);
    if (given[field] !== undefined && masked !== current[field] && given[field] === masked) kept[field] = current[field];
  }
  return kept;
}

/** The stream key, and passwords inside source URLs, are scrubbed from every log line. */
function registerSecrets(config: Partial<TelegramConfigDocument>): void {
  registerSecret(config.streamKey);
  for (const url of [config.radioUrl, config.relayUrl]) {
    if (!url) continue;
    try {
      registerSecret(decodeURIComponent(new URL(url).password));
    } catch {
      // not a URL: the schema rejects it
    }
  }
}
