import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { setPriority } from 'node:os';

/** Why ffmpeg gave no log to read: not installed, ran past its time, or could not read the file. */
export type AudioAnalysisErrorCode = 'ffmpeg_missing' | 'timeout' | 'unreadable';

export class AudioAnalysisError extends Error {
  constructor(
    readonly code: AudioAnalysisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A niceness above the server's: the analysis takes what CPU the stream's encoder leaves (2-core machines). */
const ANALYSIS_NICENESS = 10;
/** ffmpeg's log of one pass is a few kB; a file with thousands of silences stays far below this. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

/**
 * The loudness analysis' one outside system: ffmpeg decoding a whole file through `filter` (no output file), its
 * stderr returned as the log to read. Arguments as an array (no shell), `-nostdin`, one thread, a lower CPU priority,
 * killed (SIGKILL) past `timeoutMs`; a failure is an AudioAnalysisError with a stable code.
 */
@Injectable()
export class AudioAnalysisRepository {
  analyse(path: string, filter: string, timeoutMs: number): Promise<string> {
    const args = [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-threads',
      '1',
      '-i',
      path,
      '-map',
      '0:a:0',
      '-vn',
      '-sn',
      '-dn',
      '-af',
      filter,
      '-f',
      'null',
      '-',
    ];
    return new Promise((resolve, reject) => {
      const child = execFile(
        'ffmpeg',
        args,
        { timeout: Math.max(1, Math.ceil(timeoutMs)), killSignal: 'SIGKILL', maxBuffer: MAX_LOG_BYTES, encoding: 'utf8' },
        (error, _stdout, stderr) => {
          if (!error) return resolve(stderr);
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return reject(new AudioAnalysisError('ffmpeg_missing', 'ffmpeg is not installed (or not on PATH)'));
          if ((error as { killed?: boolean }).killed && code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
            return reject(new AudioAnalysisError('timeout', `ffmpeg did not finish the analysis within ${timeoutMs / 1000} s`));
          const last = stderr.trim().split('\n').at(-1) ?? '';
          reject(new AudioAnalysisError('unreadable', `ffmpeg could not read the file: ${last.slice(0, 300)}`));
        },
      );
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, ANALYSIS_NICENESS);
        } catch {
          // Already exited, or not allowed: it runs at the server's priority.
        }
      }
    });
  }
}
