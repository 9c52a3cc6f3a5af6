import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidOutboundAllowanceError, OUTBOUND_ALLOW_VARIABLE, OutboundPolicy } from '../../common/outbound-policy.js';
import { flattenValidationErrors } from '../../documents/document-store.service.js';
import type { StorageRepository } from '../../repositories/storage.repository.js';
import { TRACK_LIBRARY_FILE, TRACKS_DIR, type TrackLibraryFile } from '../../contracts/track-library.js';
import { missingStartSettings, TELEGRAM_CONFIG_DOCUMENT, TelegramConfigDocument } from '../telegram-config.document.js';
import type { PlaylistTrack } from './playlist-source.js';
import { librarySoundOf } from './track-sound.js';

/** Daemon knobs from the environment (Wave's own settings are validated in src/config/env.validation.ts). */
export interface DaemonEnvironment {
  ffmpegPath: string;
  /** `-output_ts_offset` for the encoder, to reach RTMP's 24-bit timestamp wrap in seconds (tests). */
  outputTsOffsetMs: number;
  /** Kill and reconnect the encoder when its output has not grown for this long. */
  stallTimeoutMs: number;
  /** From a frame's due time to when it is heard at the ingest (measured: see the medium specs). */
  outputLatencyMs: number;
  /** Which private hosts the configured URLs (server, radio, relay) may reach: WAVE_OUTBOUND_ALLOW, as Wave reads it. */
  outbound: OutboundPolicy;
  /** How long the first track waits for Wave's programme before the library order picks it (see PlaylistSourceOptions). */
  programmeWaitMs: number;
}

export class DaemonSetupError extends Error {}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min)
    throw new DaemonSetupError(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

export function daemonEnvironment(env: NodeJS.ProcessEnv): DaemonEnvironment {
  return {
    ffmpegPath: env.FFMPEG_PATH || 'ffmpeg',
    outputTsOffsetMs: intFromEnv(env, 'TELEGRAM_OUTPUT_TS_OFFSET_MS', 0, 0),
    stallTimeoutMs: intFromEnv(env, 'TELEGRAM_STALL_TIMEOUT_MS', 10_000, 1000),
    outputLatencyMs: intFromEnv(env, 'TELEGRAM_OUTPUT_LATENCY_MS', DEFAULT_OUTPUT_LATENCY_MS, 0),
    outbound: outboundFromEnv(env),
    programmeWaitMs: intFromEnv(env, 'TELEGRAM_PROGRAMME_WAIT_MS', DEFAULT_PROGRAMME_WAIT_MS, 0),
  };
}

function outboundFromEnv(env: NodeJS.ProcessEnv): OutboundPolicy {
  try {
    return OutboundPolicy.parse(env[OUTBOUND_ALLOW_VARIABLE]);
  } catch (error) {
    if (error instanceof InvalidOutboundAllowanceError) throw new DaemonSetupError(`${OUTBOUND_ALLOW_VARIABLE}: ${error.message}`);
    throw error;
  }
}

/**
 * Feeder due time → audio arriving at a low-latency listener on the ingest: pipe, encoder, FLV
 * interleaving with the 5 fps cover, the daemon's RTMP client, TLS, nginx-rtmp, less the feeder's lead. Measured
 * 4–41 ms (median ~30 ms) with test/medium/telegram-daemon-latency.spec.ts (it prints the figures); it was ~1.05 s
 * while the encoder probed its PCM input (~1 s read before the cover's -re clock started, which interleaving then
 * held every audio packet behind).
 */
export const DEFAULT_OUTPUT_LATENCY_MS = 40;

/** Wave hears `daemon-started` and answers with a look-ahead within tens of ms; 2 s covers a busy machine. */
export const DEFAULT_PROGRAMME_WAIT_MS = 2000;

/** Reads and validates `DATA_DIR/telegram-config.json`; the daemon never writes it. */
export async function readTelegramConfig(dataDir: string, storage: StorageRepository): Promise<TelegramConfigDocument> {
  const path = join(dataDir, TELEGRAM_CONFIG_DOCUMENT.file);
  let stored: Partial<TelegramConfigDocument>;
  try {
    stored = JSON.parse(await storage.readText(path)) as Partial<TelegramConfigDocument>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DaemonSetupError(`${path} does not exist: configure the Telegram stream first`);
    throw new DaemonSetupError(`${path} is not readable JSON: ${(error as Error).message}`);
  }
  const config = { ...TELEGRAM_CONFIG_DOCUMENT.defaults(), ...stored };
  const problems = flattenValidationErrors(validateSync(plainToInstance(TelegramConfigDocument, config), { forbidUnknownValues: false }));
  if (problems.length > 0) throw new DaemonSetupError(`${path} is invalid: ${problems.join('; ')}`);
  const missing = missingStartSettings(config);
  if (missing.length > 0) throw new DaemonSetupError(`the Telegram config has no ${missing.join(' and ')}`);
  return config;
}

/** Reads the playlist from `DATA_DIR/audio-tracks.json` (an absent file is an empty playlist). */
export async function readPlaylist(dataDir: string, storage: StorageRepository): Promise<PlaylistTrack[]> {
  const path = join(dataDir, TRACK_LIBRARY_FILE);
  let text: string;
  try {
    text = await storage.readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { [K in keyof TrackLibraryFile]?: unknown };
  const tracks: unknown[] = Array.isArray(parsed.tracks) ? parsed.tracks : [];
  return tracks
    .filter(
      (t): t is Record<string, unknown> =>
        !!t && typeof t === 'object' && 'id' in t && typeof t.id === 'string' && 'path' in t && typeof t.path === 'string',
    )
    .map((t) => {
      const sound = librarySoundOf(t);
      return {
        id: t.id as string,
        path: t.path as string,
        title: typeof t.title === 'string' ? t.title : '',
        artist: typeof t.artist === 'string' ? t.artist : '',
        duration: typeof t.duration === 'number' ? t.duration : 0,
        ...(sound ? { sound } : {}),
      };
    });
}

export function tracksDir(dataDir: string): string {
  return join(dataDir, TRACKS_DIR);
}

/** The cover path from the config, relative paths taken from DATA_DIR. */
export function coverImagePath(dataDir: string, coverImage: string): string {
  if (!coverImage) return '';
  return isAbsolute(coverImage) ? coverImage : resolve(dataDir, coverImage);
}
