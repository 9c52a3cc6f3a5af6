import { Injectable, Logger } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import { WaveError } from '../common/wave-error.js';
import { ExecError, ProcessRepository } from '../repositories/process.repository.js';

export interface AudioMetadata {
  /** '' when the file has no title tag (the caller names it, e.g. from the file's name). */
  title: string;
  artist: string;
  album: string;
  genre: string;
  /** Labels from the grouping or mood tag (`;` or `,` between them). */
  labels: string[];
  /** Seconds. */
  duration: number;
}

interface FfprobeOutput {
  streams?: Array<{ codec_type?: string; tags?: Record<string, string> }>;
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
}

/** ffprobe's demuxers for still images (png_pipe, jpeg_pipe, webp_pipe, …, image2, gif). */
const IMAGE_FORMAT = /^(?:\w+_pipe|image2|gif)$/;

/**
 * Probes at once at most this many files (a burst of adds must not fork hundreds of ffprobes on 2 cores).
 * Each probe is bounded (PROBE_TIMEOUT_MS), so probes stuck on a file free their slot and the queue moves.
 */
export const PROBE_CONCURRENCY = 4;
/** ffprobe reads headers: well under a second for any audio file, even on a loaded machine. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Reads what a file is by its content (ffprobe), never by its name. */
@Injectable()
export class MediaProbeService {
  private readonly logger = new Logger(MediaProbeService.name);
  private readonly slots = new Semaphore(PROBE_CONCURRENCY);

  constructor(private readonly processes: ProcessRepository) {}

  /** Tags and duration of an audio file; null when ffprobe finds no audio with a duration in it. */
  async probeAudio(path: string): Promise<AudioMetadata | null> {
    const output = await this.probe(path);
    if (!output) return null;
    const duration = Number(output.format?.duration);
    const hasAudio = (output.streams ?? []).some((s) => s.codec_type === 'audio');
    if (!hasAudio || !Number.isFinite(duration) || duration <= 0) return null;
    // Containers keep tags on the file (MP3, MP4) or on the audio stream (Ogg, Opus): both, the file's first.
    const audio = (output.streams ?? []).find((s) => s.codec_type === 'audio');
    const tags: Record<string, string> = {};
    for (const source of [output.format?.tags, audio?.tags]) {
      for (const [key, value] of Object.entries(source ?? {})) tags[key.toLowerCase()] ??= String(value).trim();
    }
    return {
      title: tags.title ?? '',
      artist: tags.artist ?? tags.album_artist ?? '',
      album: tags.album ?? '',
      genre: tags.genre ?? '',
      labels: (tags.grouping ?? tags.mood ?? '')
        .split(/[;,]/)
        .map((label) => label.trim())
        .filter(Boolean),
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
