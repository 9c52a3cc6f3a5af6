import { ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundPolicy } from '../../src/common/outbound-policy.js';
import { ProcessRepository } from '../../src/repositories/process.repository.js';
import { LiveSource } from '../../src/telegram/daemon/live-source.js';
import { makeTempDir } from '../env/index.js';
import { liveAudioArgs } from '../env/media.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { waitUntil } from '../env/wait.js';

const run = promisify(execFile);
const FORMAT = { sampleRate: 44100, channels: 2 };
/** A 1 kHz sine at this amplitude in both channels is about −30 LUFS. */
const QUIET_DJ_AMPLITUDE = 0.0316;
const TARGET_LUFS = -16;

/** Integrated loudness of s16le stereo PCM (ffmpeg's ebur128). */
async function integratedLufs(pcm: Buffer): Promise<number> {
  const file = join(await makeTempDir('loudness'), 'heard.pcm');
  await writeFile(file, pcm);
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-f',
    's16le',
    '-ar',
    '44100',
    '-ac',
    '2',
    '-i',
    file,
    '-af',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const match = /I:\s+(-?[\d.]+) LUFS\s+Threshold/.exec(stderr.split('Summary:').pop() ?? '');
  if (!match) throw new Error(`no integrated loudness in ${stderr.slice(-400)}`);
  return Number(match[1]);
}

// A quiet DJ on a real nginx-rtmp, read by the live relay's decoder with the loudness control on: what the feeder
// gets sits near the target. Without it, the same DJ stays where it is.
describe('live source loudness control (real ffmpeg, nginx-rtmp)', () => {
  let ingest: RtmpIngest;
  let dj: ChildProcess;

  beforeAll(async () => {
    ingest = await startRtmpIngest();
    dj = spawn(
      'ffmpeg',
      liveAudioArgs(
        `aevalsrc=${QUIET_DJ_AMPLITUDE}*sin(2*PI*1000*t)|${QUIET_DJ_AMPLITUDE}*sin(2*PI*1000*t):s=44100`,
        `${ingest.rtmpUrl('live')}dj`,
        { stereo: false },
      ),
      {
        stdio: 'ignore',
      },
    );
    await waitUntil(async () => (await ingest.publishers('live')).length === 1, 10_000, 'the DJ to publish');
  });

  afterAll(async () => {
    dj?.kill('SIGKILL');
    await ingest?.stop();
  });

  async function listen(loudnessTargetLufs: number | null): Promise<Buffer> {
    const source = new LiveSource('rtmp', `${ingest.rtmpUrl('live')}dj`, {
      processes: new ProcessRepository(),
      ffmpegPath: 'ffmpeg',
      format: FORMAT,
      capMs: 10_000,
      policy: OutboundPolicy.parse('127.0.0.1'),
      ingest: true,
      loudnessTargetLufs,
    });
    source.activate();
    try {
      await waitUntil(() => source.available() > 0, 10_000, 'the first PCM');
      source.read(source.available()); // the control's first second settles: measure what follows
      await new Promise((r) => setTimeout(r, 1000));
      source.read(source.available());
      await new Promise((r) => setTimeout(r, 3000));
      return source.read(source.available())!.data;
    } finally {
      source.close();
    }
  }

  it(`brings a −30 LUFS DJ within 2 LU of ${TARGET_LUFS} LUFS, and leaves it alone when off`, async () => {
    const raw = await integratedLufs(await listen(null));
    const levelled = await integratedLufs(await listen(TARGET_LUFS));
    console.info(`[loudness] quiet DJ: ${raw} LUFS as it comes, ${levelled} LUFS with the control (target ${TARGET_LUFS})`);
    expect(raw).toBeLessThan(-28);
    expect(Math.abs(levelled - TARGET_LUFS)).toBeLessThanOrEqual(2);
  });
});
