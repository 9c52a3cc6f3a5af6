import { IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme, RADIO_URL_SCHEMES } from './stream-url.js';

/** What the daemon plays: the track playlist, an internet radio URL, or a relay of the live RTMP ingest. */
export const TELEGRAM_SOURCES = ['playlist', 'url', 'rtmp'] as const;
export type TelegramSource = (typeof TELEGRAM_SOURCES)[number];

export const AUDIO_BITRATES_KBPS = { min: 64, max: 320 } as const;
export const SAMPLE_RATES = [44100, 48000] as const;

/**
 * `DATA_DIR/telegram-config.json`: how the Telegram daemon streams. Written by Wave, read (only) by the
 * daemon at start. `streamKey` is a secret: responses, events and logs carry it masked.
 */
export class TelegramConfigDocument {
  /** The ingest, e.g. Telegram's `rtmps://dc4-1.rtmp.t.me/s/`; any rtmp(s) URL (a local ingest in tests). */
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  serverUrl!: string;

  /** `<digits>:<token>` for Telegram; empty until configured. */
  @IsString()
  @MaxLength(512)
  streamKey!: string;

  @IsIn(TELEGRAM_SOURCES)
  source!: TelegramSource;

  /** Internet radio fetched by ffmpeg when `source` is `url` (http, https, rtmp, rtmps only). */
  @ValidateIf((o: TelegramConfigDocument) => o.source === 'url' || o.radioUrl !== '')
  @IsUrlWithScheme(RADIO_URL_SCHEMES)
  radioUrl!: string;

  /**
   * The live ingest relayed when `source` is `rtmp` (the playlist plays while nobody is live). Empty:
   * Wave's own RTMP ingest, whose URL (it carries a stream key) Wave hands to the daemon over IPC only.
   */
  @ValidateIf((o: TelegramConfigDocument) => o.relayUrl !== '')
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  relayUrl!: string;

  /**
   * Live DJ takeover: while the playlist or a radio URL plays, a DJ publishing to Wave's RTMP ingest
   * with a valid key takes the air on the same Telegram connection, and hands it back when done.
   */
  @IsBoolean()
  liveTakeover!: boolean;

  @IsInt()
  @Min(AUDIO_BITRATES_KBPS.min)
  @Max(AUDIO_BITRATES_KBPS.max)
  audioBitrateKbps!: number;

  @IsIn(SAMPLE_RATES)
  sampleRate!: number;

  /** Path of the cover image (absolute, or relative to DATA_DIR); empty for a plain background. */
  @IsString()
  @MaxLength(4096)
  coverImage!: string;

  @IsBoolean()
  shuffle!: boolean;

  @IsBoolean()
  loop!: boolean;
}

/** What the daemon cannot start without and the config lacks (Wave answers 400 with it; the daemon refuses to run). */
export function missingStartSettings(config: TelegramConfigDocument): Array<'serverUrl' | 'streamKey'> {
  return (['serverUrl', 'streamKey'] as const).filter((field) => !config[field]);
}

export const TELEGRAM_CONFIG_DOCUMENT: DocumentDefinition<TelegramConfigDocument> = {
  file: 'telegram-config.json',
  schema: TelegramConfigDocument,
  defaults: () => ({
    serverUrl: 'rtmps://dc4-1.rtmp.t.me/s/',
    streamKey: '',
    source: 'playlist',
    radioUrl: '',
    relayUrl: '',
    liveTakeover: true,
    audioBitrateKbps: 128,
    sampleRate: 44100,
    coverImage: '',
    shuffle: false,
    loop: true,
  }),
};
