import { ChildProcess, execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { call } from './http.js';
import { testEnv } from './index.js';
import { makeCover } from './media.js';

const run = promisify(execFile);

/** Signals `child` and resolves once it has exited (at once if it already has). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** `tone-1.mp3` … `tone-<count>.mp3` (a 440 Hz sine at `amplitude`, `seconds` long, titled "Tone i") and `cover.png` in `dir`. */
export async function makeToneTracks(dir: string, count: number, seconds: number, amplitude: number): Promise<string[]> {
  const files = Array.from({ length: count }, (_, i) => join(dir, `tone-${i + 1}.mp3`));
  await Promise.all([
    ...files.map((file, i) =>
      run('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `aevalsrc=${amplitude}*sin(2*PI*440*t):s=44100:d=${seconds}`],
        ...['-ac', '2', '-metadata', `title=Tone ${i + 1}`, file],
      ]),
    ),
    makeCover(join(dir, 'cover.png')),
  ]);
  return files;
}

export interface StationSetup {
  /** The RTMP ingest container's name and ports, and the DJ's key. */
  container: string;
  rtmpPort: number;
  httpPort: number;
  djKey: string;
  /** The tracks to add, and the cover (makeToneTracks' files). */
  tracks: string[];
  cover: string;
  /** The Telegram side: the local RTMPS ingest's server URL and the key. */
  telegramServerUrl: string;
  telegramKey: string;
}

/** Through `server`'s API: configures and starts the RTMP ingest, adds the tracks, configures and starts the Telegram stream. */
export async function putStationOnTheAir(server: { baseUrl: string }, setup: StationSetup): Promise<void> {
  const rtmpConfig = await call(server, 'PUT', '/api/stream/rtmp/config', {
    image: testEnv.rtmpImage(),
    containerName: setup.container,
    rtmpPort: setup.rtmpPort,
    httpPort: setup.httpPort,
    streamKeys: [setup.djKey],
  });
  expect(rtmpConfig.status, JSON.stringify(rtmpConfig.body)).toBe(200);
  const rtmpStart = await call(server, 'POST', '/api/stream/rtmp/start');
  expect(rtmpStart.status, JSON.stringify(rtmpStart.body)).toBe(200);
  for (const path of setup.tracks) expect((await call(server, 'POST', '/api/tracks', { path })).status).toBe(201);
  const telegramConfig = await call(server, 'PUT', '/api/stream/telegram/config', {
    serverUrl: setup.telegramServerUrl,
    streamKey: setup.telegramKey,
    coverImage: setup.cover,
  });
  expect(telegramConfig.status, JSON.stringify(telegramConfig.body)).toBe(200);
  expect(telegramConfig.body).toMatchObject({ source: 'playlist', liveTakeover: true });
  const started = await call(server, 'POST', '/api/stream/telegram/start');
  expect(started.status, JSON.stringify(started.body)).toBe(200);
}
