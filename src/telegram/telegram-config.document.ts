import { IsBoolean, IsIn, IsInt, IsNumber, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import type { SoundSettings } from '../contracts/daemon-messages.js';
import type { DocumentDefinition } from '../documents/document-store.service.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme, RADIO_URL_SCHEMES } from './stream-url.js';

/** What the daemon plays: the track playlist, an internet radio URL, or a relay of the live RTMP ingest. */
export const TELEGRAM_SOURCES = ['playlist', 'url', 'rtmp'] as const;
export type TelegramSource = (typeof TELEGRAM_SOURCES)[number];

export const AUDIO_BITRATES_KBPS = { min: 64, max: 320 } as const;
export const SAMPLE_RATES = [44100, 48000] as const;
/** The sound settings' ranges (see SoundSettings in contracts/daemon-messages.ts). */
export const SOUND_LIMITS = {
  loudnessTarget: { min: -23, max: -9 },
  crossfadeSec: { min: 0, max: 10 },
  silenceThresholdDb: { min: -80, max: -20 },
  liveFadeMs: { min: 0, max: 5000 },
} as const;

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

  // Sound (SoundSettings): a running daemon takes them live, from its next track or switch.

  /** Play every measured track at `loudnessTarget` (EBU R128), true peak at most -1 dBTP (a limiter). */
  @IsBoolean()
  normalize!: boolean;

  /** LUFS: -16 suits phones and streaming, -23 is EBU broadcast. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.loudnessTarget.min)
  @Max(SOUND_LIMITS.loudnessTarget.max)
  loudnessTarget!: number;

  /** Seconds two tracks overlap (0: back to back). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.crossfadeSec.min)
  @Max(SOUND_LIMITS.crossfadeSec.max)
  crossfadeSec!: number;

  /** Also crossfade into and out of jingles and hourly station IDs. */
  @IsBoolean()
  crossfadeJingles!: boolean;

  /** Leading and trailing audio below this level is skipped (dBFS). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(SOUND_LIMITS.silenceThresholdDb.min)
  @Max(SOUND_LIMITS.silenceThresholdDb.max)
  silenceThresholdDb!: number;

  /** The fade between the programme and a live DJ or radio URL at each switch (ms). */
  @IsInt()
  @Min(SOUND_LIMITS.liveFadeMs.min)
  @Max(SOUND_LIMITS.liveFadeMs.max)
  liveFadeMs!: number;

  /** A real-time loudness control on live and radio sources, towards `loudnessTarget`. */
  @IsBoolean()
  liveLoudness!: boolean;
}

/** The sound settings of a config, as the daemon takes them. */
export function soundSettings(config: TelegramConfigDocument): SoundSettings {
  const { normalize, loudnessTarget, crossfadeSec, crossfadeJingles, silenceThresholdDb, liveFadeMs, liveLoudness } = config;
  return { normalize, loudnessTarget, crossfadeSec, crossfadeJingles, silenceThresholdDb, liveFadeMs, liveLoudness };
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
    normalize: true,
    loudnessTarget: -16,
    crossfadeSec: 2,
    crossfadeJingles: true,
    silenceThresholdDb: -50,
    liveFadeMs: 500,
    liveLoudness: true,
  }),
};
