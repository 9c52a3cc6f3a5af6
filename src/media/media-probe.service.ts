import { Injectable, Logger } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import { basename, extname } from 'node:path';
import { WaveError } from '../common/wave-error.js';
import { ExecError, ProcessRepository } from '../repositories/process.repository.js';

export interface AudioMetadata {
  title: string;
  artist: string;
  /** Seconds. */
  duration: number;
}

interface FfprobeOutput {
  streams?: Array<{ codec_type?: string }>;
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
}

/** ffprobe's demuxers for still images (png_pipe, jpeg_pipe, webp_pipe, …, image2, gif). */
const IMAGE_FORMAT = /^(?:\w+_pipe|image2|gif)$/;

/**
 * Probes at once at most this many files (a burst of adds must not fork hundreds of ffprobes on 2 cores).
 * Each probe is bounded (PROBE_TIMEOUT_MS), so probes stuck on a file free their slot and the queue moves.
 */
const PROBE_CONCURRENCY = 4;
/** ffprobe reads headers: well under a second for any audio file, even on a loaded machine. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Reads what a file is by its content (ffprobe), never by its name. */
@Injectable()
export class MediaProbeService {
  private readonly logger = new Logger(MediaProbeService.name);
  private readonly slots = new Semaphore(PROBE_CONCURRENCY);

  constructor(private readonly processes: ProcessRepository) {}

  /** Title, artist and duration of an audio file; null when ffprobe finds no audio with a duration in it. */
  async probeAudio(path: string): Promise<AudioMetadata | null> {
    const output = await this.probe(path);
    if (!output) return null;
    const duration = Number(output.format?.duration);
    const hasAudio = (output.streams ?? []).some((s) => s.codec_type === 'audio');
    if (!hasAudio || !Number.isFinite(duration) || duration <= 0) return null;
    const tags = Object.fromEntries(Object.entries(output.format?.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      title: (tags.title ?? '').trim() || basename(path, extname(path)),
      artist: (tags.artist ?? tags.album_artist ?? '').trim(),
      duration: Math.round(duration * 1000) / 1000,
    };
  }

  /** True when ffprobe reads the file as a still image (a picture, without audio). */
  async isImage(path: string): Promise<boolean> {
    const output = await this.probe(path);
    const streams = output?.streams ?? [];
    return (
      IMAGE_FORMAT.test(output?.format?.format_name ?? '') &&
      streams.some((s) => s.codec_type === 'video') &&
      !streams.some((s) => s.codec_type === 'audio')
    );
  }

  /** ffprobe's view of a file, or null when it reads no media in it. */
  private probe(path: string): Promise<FfprobeOutput | null> {
    return this.slots.runExclusive(async () => {
      try {
        // `file:` so that a name is never taken for another ffmpeg protocol.
        const { stdout } = await this.processes.exec(
          'ffprobe',
          ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', `file:${path}`],
          { timeoutMs: PROBE_TIMEOUT_MS },
        );
        return JSON.parse(stdout) as FfprobeOutput;
      } catch (error) {
        // Not "no media": ffprobe never finished reading it (a FIFO, a stalled mount), so nothing is known.
        if (error instanceof ExecError && error.timedOut) {
          throw new WaveError(504, 'probe_timeout', `ffprobe did not finish reading the file within ${PROBE_TIMEOUT_MS / 1000} s`);
        }
        if (!(error instanceof ExecError) && !(error instanceof SyntaxError)) throw error;
        this.logger.debug(`ffprobe found no media in ${path}: ${error.message}`);
        return null;
      }
    });
  }
}
