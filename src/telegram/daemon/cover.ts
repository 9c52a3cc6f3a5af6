import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ProcessRepository } from '../../repositories/process.repository.js';
import type { StorageRepository } from '../../repositories/storage.repository.js';

export interface CoverOptions {
  processes: ProcessRepository;
  storage: StorageRepository;
  ffmpegPath: string;
  /** The image; empty for a plain dark background. */
  image: string;
  cacheDir: string;
  /**
   * Frames per second of the clip. FLV interleaving holds audio until a video frame comes, so this
   * bounds the audio latency: ~5 fps was the sweet spot on 2 cores.
   */
  fps?: number;
  width?: number;
  height?: number;
}

/** Seconds per clip: one GOP, so every loop starts on a keyframe (one every 2 s, as Telegram expects). */
const CLIP_SECONDS = 2;

/**
 * Encodes the cover once into a short H.264 clip that the encoder stream-copies in a loop, instead of
 * re-encoding a still image 25–30 times a second. Cached by image, size and settings.
 */
export async function prepareCoverClip(options: CoverOptions): Promise<string> {
  const fps = options.fps ?? 5;
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const { storage } = options;
  const source = options.image ? await storage.stat(options.image) : null;
  if (options.image && !source) throw Object.assign(new Error(`the cover image ${options.image} does not exist`), { code: 'ENOENT' });
  const key = createHash('sha256')
    .update(JSON.stringify([options.image, source?.mtimeMs, source?.size, fps, width, height]))
    .digest('hex')
    .slice(0, 16);
  const clip = join(options.cacheDir, `cover-${key}.mp4`);
  if (await storage.stat(clip).catch(() => null)) return clip;

  await storage.mkdir(options.cacheDir);
  const input = options.image
    ? ['-loop', '1', '-framerate', String(fps), '-i', options.image]
    : ['-f', 'lavfi', '-i', `color=c=0x14181f:s=${width}x${height}:r=${fps}`];
  const fit = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,format=yuv420p`;
  const partial = `${clip}.${process.pid}.partial.mp4`;
  await options.processes.exec(
    options.ffmpegPath,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      ...input,
      '-t',
      String(CLIP_SECONDS),
      '-vf',
      fit,
      '-r',
      String(fps),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'stillimage',
      '-bf',
      '0',
      '-g',
      String(fps * CLIP_SECONDS),
      '-an',
      partial,
    ],
    { timeoutMs: 60_000 },
  );
  await storage.rename(partial, clip);
  return clip;
}
