import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageRepository } from '../../repositories/storage.repository.js';
import { commandFromPacket } from '../../contracts/daemon-messages.js';
import { daemonEnvironment, readPlaylist, readTelegramConfig } from './daemon-settings.js';

describe('daemon settings', () => {
  const storage = new StorageRepository();
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'wave-daemon-settings-'))));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const writeConfig = (config: object) => writeFile(join(dataDir, 'telegram-config.json'), JSON.stringify(config));

  it('reads the config over its defaults', async () => {
    await writeConfig({ serverUrl: 'rtmps://127.0.0.1:1936/s/', streamKey: '1:abc', audioBitrateKbps: 160 });
    await expect(readTelegramConfig(dataDir, storage)).resolves.toMatchObject({
      serverUrl: 'rtmps://127.0.0.1:1936/s/',
      audioBitrateKbps: 160,
      sampleRate: 44100,
      source: 'playlist',
      loop: true,
    });
  });

  it('refuses a missing file, a missing key, or a radio URL that would read local files', async () => {
    await expect(readTelegramConfig(dataDir, storage)).rejects.toThrow(/does not exist/);
    await writeConfig({ serverUrl: 'rtmps://dc4-1.rtmp.t.me/s/' });
    await expect(readTelegramConfig(dataDir, storage)).rejects.toThrow('the Telegram config has no streamKey');
    await writeConfig({ streamKey: '1:abc', source: 'url', radioUrl: 'file:///etc/passwd' });
    await expect(readTelegramConfig(dataDir, storage)).rejects.toThrow(
      /radioUrl must be a URL starting with http:\/\/, https:\/\/, rtmp:\/\/, rtmps:\/\//,
    );
  });

  it('reads the playlist (none when the file is absent), skipping malformed entries', async () => {
    await expect(readPlaylist(dataDir, storage)).resolves.toEqual([]);
    await writeFile(
      join(dataDir, 'audio-tracks.json'),
      JSON.stringify({ tracks: [{ id: 'a', path: 'a.mp3', title: 'A', artist: 'X', duration: 3 }, { id: 'no-path' }] }),
    );
    await expect(readPlaylist(dataDir, storage)).resolves.toEqual([{ id: 'a', path: 'a.mp3', title: 'A', artist: 'X', duration: 3 }]);
  });

  it("reads each track's loudness and cues, and plays a track whose sound it cannot read as it is", async () => {
    const loudness = { integratedLufs: -21.5, rangeLu: 4.2, truePeakDbtp: -3.1 };
    const base = { path: 'a.mp3', title: 'A', artist: 'X', duration: 30 };
    await writeFile(
      join(dataDir, 'audio-tracks.json'),
      JSON.stringify({
        tracks: [
          { id: 'measured', ...base, loudness, cueIn: 0.5, cueOut: 29 },
          { id: 'pending', ...base, loudness: null, cueIn: null, cueOut: null },
          { id: 'broken', ...base, loudness: { integratedLufs: '-20' }, cueIn: 1, cueOut: null },
        ],
      }),
    );
    const tracks = await readPlaylist(dataDir, storage);
    expect(tracks.map((t) => [t.id, t.sound])).toEqual([
      ['measured', { loudness, cueIn: 0.5, cueOut: 29 }],
      ['pending', { loudness: null, cueIn: null, cueOut: null }],
      ['broken', undefined],
    ]);
  });

  it('validates its environment knobs', () => {
    expect(daemonEnvironment({ TELEGRAM_OUTPUT_TS_OFFSET_MS: '16770000' })).toMatchObject({
      outputTsOffsetMs: 16_770_000,
      stallTimeoutMs: 10_000,
      ffmpegPath: 'ffmpeg',
    });
    expect(() => daemonEnvironment({ TELEGRAM_STALL_TIMEOUT_MS: 'soon' })).toThrow('TELEGRAM_STALL_TIMEOUT_MS must be an integer');
  });
});

describe('commandFromPacket', () => {
  it('unwraps a PM2 packet, accepts a bare command, ignores anything else', () => {
    expect(commandFromPacket({ type: 'process:msg', topic: 'wave', data: { command: 'reload-playlist' } })).toEqual({
      command: 'reload-playlist',
    });
    expect(commandFromPacket({ command: 'reload-playlist' })).toEqual({ command: 'reload-playlist' });
    expect(commandFromPacket({ type: 'process:msg', data: 'hello' })).toBeNull();
    expect(commandFromPacket(null)).toBeNull();
  });
});
