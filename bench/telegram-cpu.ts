/**
 * Telegram stream CPU: the daemon (node + its ffmpeg encoder and decoders, cover stream-copied) playing tracks as they
 * are, back to back; the daemon with its sound on (every track's gain to the target, a limiter on one, 2 s crossfades);
 * the same pushing to three destinations (one encode, three connections); and a naive 30 fps re-encode of the same
 * cover and audio; all to the same local ingest, in one run. Targets: sound on ≤ 1.3× sound off, and ≤ 0.2× naive;
 * three destinations ≤ 1.3× one. `npm run bench:telegram` (BENCH_SECONDS sets each leg's length).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ProcessRepository } from '../src/repositories/process.repository.js';
import { StorageRepository } from '../src/repositories/storage.repository.js';
import { prepareCoverClip } from '../src/telegram/daemon/cover.js';
import { daemonEnvironment, readPlaylist, tracksDir } from '../src/telegram/daemon/daemon-settings.js';
import { type DestinationSettings, ingestTarget } from '../src/telegram/daemon/destination-link.js';
import { TelegramStreamDaemon } from '../src/telegram/daemon/telegram-stream-daemon.js';
import { TELEGRAM_CONFIG_DOCUMENT, type TelegramConfigDocument } from '../src/telegram/telegram-config.document.js';
import { startRtmpIngest } from '../test/env/rtmp-ingest.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const TARGET_RATIO = 0.2;
const SOUND_TARGET_RATIO = 1.3;
const SIMULCAST_TARGET_RATIO = 1.3;
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of this process and of its children that have been reaped (Linux /proc). */
function cpuSeconds(): { self: number; children: number } {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return { self: (utime + stime) / CLOCK_TICKS, children: (cutime + cstime) / CLOCK_TICKS };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: run it on Linux');
  const root = await mkdtemp(join(tmpdir(), 'wave-bench-'));
  const dataDir = join(root, 'data');
  await mkdir(join(dataDir, 'tracks'), { recursive: true });
  const ingest = await startRtmpIngest();
  try {
    // A detailed 1280x720 cover and two 10 s tracks.
    const cover = join(dataDir, 'cover.png');
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720', '-frames:v', '1', cover]);
    const tracks = [];
    for (const [i, freq] of [440, 660].entries()) {
      const file = `t${i + 1}.mp3`;
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `sine=f=${freq}:d=10`,
        '-ac',
        '2',
        '-b:a',
        '192k',
        join(dataDir, 'tracks', file),
      ]);
      // As the analysis would have measured them: both raised 8 dB, the second past the limiter's ceiling.
      const loudness = { integratedLufs: -24, rangeLu: 1, truePeakDbtp: i === 0 ? -12 : -4 };
      tracks.push({
        id: `t${i + 1}`,
        title: `Tone ${freq}`,
        artist: 'Bench',
        path: file,
        duration: 10,
        addedAt: new Date().toISOString(),
        loudness,
      });
    }
    await writeFile(join(dataDir, 'audio-tracks.json'), JSON.stringify({ tracks, nowPlaying: null }));
    const base = {
      ...TELEGRAM_CONFIG_DOCUMENT.defaults(),
      serverUrl: ingest.rtmpsServerUrl,
      streamKey: '1234567890:BenchKeyBenchKeyBenchKey',
      coverImage: cover,
    };
    const processes = new ProcessRepository();
    const storage = new StorageRepository();
    const cacheDir = join(dataDir, 'cache');
    // The one-off cover encode happens before the measurement (the daemon finds it cached).
    await prepareCoverClip({ processes, storage, ffmpegPath: 'ffmpeg', image: cover, cacheDir });

    // Legs 1 and 2: the daemon, sound off then on.
    const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
    const daemonLeg = async (config: TelegramConfigDocument, extra: DestinationSettings[] = []) => {
      const before = cpuSeconds();
      const daemon = new TelegramStreamDaemon({
        config,
        env: daemonEnvironment({ WAVE_OUTBOUND_ALLOW: '127.0.0.1' }), // the bench's ingest is on loopback
        processes,
        storage,
        logger: quiet,
        report: () => undefined,
        loadTracks: () => readPlaylist(dataDir, storage),
        loadDestinations: () => Promise.resolve(extra),
        tracksDir: tracksDir(dataDir),
        coverImage: cover,
        cacheDir,
      });
      const started = performance.now();
      await daemon.start();
      await sleep(SECONDS * 1000);
      const publishing = (await ingest.publishers()).length === 1 + extra.length;
      await daemon.stop('bench done');
      const daemonWall = (performance.now() - started) / 1000;
      const after = cpuSeconds();
      const daemonCpu = after.self - before.self + (after.children - before.children);
      if (!publishing) throw new Error('the daemon was not publishing at the end of its leg: the figure would be meaningless');
      return { cpu: daemonCpu, wall: daemonWall, node: after.self - before.self, ffmpeg: after.children - before.children };
    };
    const plain = await daemonLeg({ ...base, normalize: false, crossfadeSec: 0 });
    const soundOn = { ...base, normalize: true, loudnessTarget: -16, crossfadeSec: 2 };
    const shaped = await daemonLeg(soundOn);
    // Leg 3: the same with two more destinations (one more RTMPS, one plain RTMP): three connections, one encode.
    const simulcast = await daemonLeg(soundOn, [
      { id: 'second', label: 'second', publishUrl: `${ingest.rtmpsServerUrl}second-key`, target: ingestTarget(ingest.rtmpsServerUrl) },
      { id: 'third', label: 'third', publishUrl: `${ingest.rtmpUrl('live')}third-key`, target: ingestTarget(ingest.rtmpUrl('live')) },
    ]);

    // Leg 2: the naive command many guides give — the still image re-encoded at 30 fps.
    const naiveBefore = cpuSeconds();
    const naiveStarted = performance.now();
    const naive = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-re',
        '-loop',
        '1',
        '-framerate',
        '30',
        '-i',
        cover,
        '-re',
        '-stream_loop',
        '-1',
        '-i',
        join(dataDir, 'tracks', 't1.mp3'),
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'stillimage',
        '-pix_fmt',
        'yuv420p',
        '-r',
        '30',
        '-g',
        '60',
        '-b:v',
        '2500k',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-ar',
        '44100',
        '-f',
        'flv',
        `${ingest.rtmpsServerUrl}naive`,
      ],
      { stdio: 'ignore' },
    );
    await sleep(SECONDS * 1000);
    const naivePublishing = (await ingest.publishers('s')).length === 1;
    naive.kill('SIGTERM');
    await exited(naive);
    const naiveWall = (performance.now() - naiveStarted) / 1000;
    const naiveAfter = cpuSeconds();
    const naiveCpu = naiveAfter.children - naiveBefore.children;
    if (!naivePublishing) throw new Error('the naive encoder was not publishing: the figure would be meaningless');

    const naiveShare = naiveCpu / naiveWall;
    const pct = (share: number) => `${(share * 100).toFixed(1)}% of a core`;
    console.log(`Telegram stream CPU (${SECONDS} s per leg, 1280x720 cover, AAC 128k, RTMPS to a local ingest)`);
    for (const [name, leg] of [
      ['daemon, sound off (tracks as they are)', plain],
      ['daemon, sound on (gain, limiter, 2 s crossfades)', shaped],
      ['daemon, sound on, 3 destinations (Telegram, RTMPS, RTMP)', simulcast],
    ] as const) {
      console.log(`  ${name}: ${leg.cpu.toFixed(2)} s CPU in ${leg.wall.toFixed(1)} s = ${pct(leg.cpu / leg.wall)}`);
      console.log(
        `    of which node (feeder, mixing, supervision): ${leg.node.toFixed(2)} s; ffmpeg encoder + decoders: ${leg.ffmpeg.toFixed(2)} s`,
      );
    }
    console.log(`  naive 30 fps re-encode: ${naiveCpu.toFixed(2)} s CPU in ${naiveWall.toFixed(1)} s = ${pct(naiveShare)}`);
    const soundRatio = shaped.cpu / shaped.wall / (plain.cpu / plain.wall);
    const ratio = shaped.cpu / shaped.wall / naiveShare;
    console.log(
      `  sound on / sound off: ${soundRatio.toFixed(2)}× (target ≤ ${SOUND_TARGET_RATIO}×) ${soundRatio <= SOUND_TARGET_RATIO ? 'OK' : 'ABOVE TARGET'}`,
    );
    console.log(`  sound on / naive: ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×) ${ratio <= TARGET_RATIO ? 'OK' : 'ABOVE TARGET'}`);
    const simulcastRatio = simulcast.cpu / simulcast.wall / (shaped.cpu / shaped.wall);
    console.log(
      `  3 destinations / 1: ${simulcastRatio.toFixed(2)}× (target ≤ ${SIMULCAST_TARGET_RATIO}×) ${simulcastRatio <= SIMULCAST_TARGET_RATIO ? 'OK' : 'ABOVE TARGET'}`,
    );
    if (ratio > TARGET_RATIO || soundRatio > SOUND_TARGET_RATIO || simulcastRatio > SIMULCAST_TARGET_RATIO) process.exitCode = 1;
  } finally {
    await ingest.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
