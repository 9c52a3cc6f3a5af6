import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const QUIET = ['-hide_banner', '-loglevel', 'error'];

export interface ToneOptions {
  hz?: number;
  seconds: number;
  /** Two channels (the daemon's output is stereo); ffmpeg's sine source is mono. */
  stereo?: boolean;
  /** e.g. `128k`; ffmpeg's default otherwise. */
  bitrate?: string;
  /** ID3 tags (`title`, `artist`). */
  tags?: Record<string, string>;
}

/** A sine tone written by the real ffmpeg to `path` (its extension picks the format, e.g. `.mp3`). */
export async function makeTone(path: string, { hz = 440, seconds, stereo = false, bitrate, tags = {} }: ToneOptions): Promise<void> {
  await run('ffmpeg', [
    ...QUIET,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${hz}:duration=${seconds}`,
    ...(stereo ? ['-ac', '2'] : []),
    ...(bitrate ? ['-b:a', bitrate] : []),
    ...Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]),
    path,
  ]);
}

/** A 640×360 still image (a stream cover) written by the real ffmpeg to `path` (e.g. `cover.png`). */
export async function makeCover(path: string): Promise<void> {
  await run('ffmpeg', [...QUIET, '-f', 'lavfi', '-i', 'color=c=navy:s=640x360', '-frames:v', '1', path]);
}

export interface LiveAudioOptions {
  /** Two channels (default); false keeps the lavfi source's own. */
  stereo?: boolean;
  codec?: string;
  bitrate?: string;
  /** ffmpeg's output format (`flv` for RTMP, `mp3` for an internet radio). */
  format?: string;
}

/** ffmpeg arguments that encode a lavfi audio `source` in real time (`-re`) to `output`: what a DJ's software or a radio sends. */
export function liveAudioArgs(
  source: string,
  output: string,
  { stereo = true, codec = 'aac', bitrate = '128k', format = 'flv' }: LiveAudioOptions = {},
): string[] {
  return [
    ...QUIET,
    '-nostdin',
    '-re',
    '-f',
    'lavfi',
    '-i',
    source,
    ...(stereo ? ['-ac', '2'] : []),
    '-c:a',
    codec,
    '-b:a',
    bitrate,
    '-f',
    format,
    output,
  ];
}

export interface MeasuredToneOptions {
  /** Integrated loudness the tone is made at (EBU R128: a 1 kHz mono sine at full scale is -3.01 LUFS). */
  lufs: number;
  seconds: number;
  /** Digital silence before and after the tone, seconds. */
  leadingSilence?: number;
  trailingSilence?: number;
}

/** A 1 kHz mono tone at a known loudness, with silent ends if asked, written by the real ffmpeg (44.1 kHz). */
export async function makeMeasuredTone(
  path: string,
  { lufs, seconds, leadingSilence = 0, trailingSilence = 0 }: MeasuredToneOptions,
): Promise<void> {
  // lavfi's sine has an amplitude of 1/8.
  const gain = 8 * 10 ** ((lufs + 3.01) / 20);
  const tone = `sine=frequency=1000:sample_rate=44100:duration=${seconds},volume=${gain}`;
  const silence = (s: number) => `anullsrc=r=44100:cl=mono:d=${s}`;
  const parts = [leadingSilence > 0 && silence(leadingSilence), tone, trailingSilence > 0 && silence(trailingSilence)].filter(
    (part): part is string => typeof part === 'string',
  );
  await run('ffmpeg', [
    ...QUIET,
    '-y',
    ...parts.flatMap((part) => ['-f', 'lavfi', '-i', part]),
    '-filter_complex',
    `${parts.map((_, i) => `[${i}:a]`).join('')}concat=n=${parts.length}:v=0:a=1[out]`,
    '-map',
    '[out]',
    path,
  ]);
}
