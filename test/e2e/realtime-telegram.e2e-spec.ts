import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicStatus, SystemEvent, TrackChangedEvent } from '../../src/contracts/socket-events.js';
import { makeTempDir } from '../env/index.js';
import { createPm2Home, Pm2Home } from '../env/pm2-home.js';
import { RtmpIngest, startRtmpIngest } from '../env/rtmp-ingest.js';
import { connectWithFirst, nextEvent } from '../env/sockets.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { waitUntil } from '../env/wait.js';
import { makeTone } from '../env/media.js';

// Issue 5's "Done when": a listener widget on `/` gets `track:changed` when the daemon changes track
// (real PM2, the real daemon and ffmpeg, a local Telegram-like RTMPS ingest).

const KEY = '1234567890:RealtimeTelegramKeyAbCd';
const TRACK_SECONDS = 2;
const EVENT_TIMEOUT_MS = 20_000;

describe('Real time: the Telegram daemon changing track reaches socket clients', () => {
  let home: Pm2Home;
  let ingest: RtmpIngest;
  let wave: WaveServer;
  let listener: Socket;
  let admin: Socket;
  const tracks: TrackChangedEvent[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${wave.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    [home, ingest] = await Promise.all([createPm2Home(), startRtmpIngest()]);
    const media = await makeTempDir('realtime-telegram-media');
    await Promise.all([330, 660].map((hz, i) => makeTone(join(media, `tone-${i + 1}.mp3`), { hz, seconds: TRACK_SECONDS, stereo: true })));
    wave = await startWave({ env: { PM2_HOME: home.path } });
    for (let i = 1; i <= 2; i++) expect((await call('POST', '/api/tracks', { path: join(media, `tone-${i}.mp3`) })).status).toBe(201);
    expect((await call('PUT', '/api/stream/telegram/config', { serverUrl: ingest.rtmpsServerUrl, streamKey: KEY })).status).toBe(200);
    const first = await connectWithFirst<PublicStatus>(`${wave.socketUrl}/`, 'status');
    listener = first.socket;
    expect(first.first).toMatchObject({ onAir: false, nowPlaying: null });
    listener.on('track:changed', (event: TrackChangedEvent) => tracks.push(event));
    admin = (await connectWithFirst(`${wave.socketUrl}/admin`, 'status')).socket;
  });

  afterAll(async () => {
    listener?.close();
    admin?.close();
    if (wave) {
      await call('POST', '/api/stream/telegram/stop').catch(() => undefined);
      await wave.dispose();
    }
    await home?.dispose();
    await ingest?.stop();
  });

  it('sends track:changed to listeners for each track and shows the stream on air, with no key anywhere', async () => {
    const onAir = nextEvent<PublicStatus>(listener, 'status', EVENT_TIMEOUT_MS, (s) => s.onAir && s.nowPlaying !== null);
    const connected = nextEvent<SystemEvent>(
      admin,
      'system',
      EVENT_TIMEOUT_MS,
      (e) => e.type === 'telegram.status' && e.details.connection === 'connected',
    );
    const started = await call('POST', '/api/stream/telegram/start');
    expect(started.status, started.text).toBe(200);

    await connected;
    const status = await onAir;
    await waitUntil(() => tracks.length >= 2, EVENT_TIMEOUT_MS, 'two track:changed events');
    expect(tracks[0]).toEqual({
      track: { id: expect.any(String), title: expect.any(String), artist: expect.any(String), duration: expect.any(Number) },
      startedAt: expect.any(String),
      // No playlist is defined: the programme plays the library in its order, and says what comes next.
      reason: 'playlist',
      playlistId: null,
      next: expect.objectContaining({ trackId: expect.any(String), reason: 'playlist' }),
    });
    expect(tracks[1].track.id).not.toBe(tracks[0].track.id);
    expect(status.nowPlaying?.trackId).toBe(tracks.find((t) => t.track.id === status.nowPlaying?.trackId)?.track.id);
    expect(JSON.stringify({ tracks, status })).not.toContain(KEY);

    const metrics = await (await fetch(`${wave.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^wave_track_changes_total [2-9]/m);
    expect(metrics).toMatch(/^wave_telegram_stream_connected 1$/m);
  });
});
