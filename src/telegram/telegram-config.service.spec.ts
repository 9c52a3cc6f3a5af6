import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakeProcessRepository } from '../../test/fakes/process.repository.fake.js';
import { WaveError } from '../common/wave-error.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import { TELEGRAM_CONFIG_DOCUMENT } from './telegram-config.document.js';
import { TelegramConfigService } from './telegram-config.service.js';

/** What ffprobe prints for a PNG, and for an MP3. */
const PNG_PROBE = JSON.stringify({ streams: [{ codec_type: 'video' }], format: { format_name: 'png_pipe' } });
const MP3_PROBE = JSON.stringify({ streams: [{ codec_type: 'audio' }], format: { format_name: 'mp3', duration: '3.0' } });

describe("TelegramConfigService coverImage (the track paths' rules, and an image by content; fake ffprobe)", () => {
  let dataDir: string;
  let outside: string;
  let ffprobe: FakeProcessRepository;
  let ctx: TestService<TelegramConfigService>;
  let configs: TelegramConfigService;

  beforeEach(async () => {
    outside = await mkdtemp(join(tmpdir(), 'wave-cover-media-'));
    ctx = await newTestService(TelegramConfigService, { providers: [MediaProbeService] });
    ({ sut: configs, dataDir } = ctx);
    ffprobe = ctx.fakes.process;
    ffprobe.execResult = { stdout: PNG_PROBE, stderr: '' };
    await mkdir(join(dataDir, 'covers'));
    await writeFile(join(dataDir, 'covers', 'cover.png'), 'png bytes');
    await writeFile(join(outside, 'cover.png'), 'png bytes');
    await configs.update({ coverImage: 'covers/cover.png' });
  });

  afterEach(async () => {
    await ctx.close();
    await rm(outside, { recursive: true, force: true });
  });

  async function rejection(coverImage: string): Promise<string[]> {
    const error = await configs.update({ coverImage }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaveError);
    expect((error as WaveError).getStatus()).toBe(400);
    const { message } = (error as WaveError).getResponse() as { message: string | string[] };
    return [message].flat();
  }

  it('takes an image under DATA_DIR (relative) or at an absolute path outside the system folders', async () => {
    expect((await configs.read()).coverImage).toBe('covers/cover.png');
    await configs.update({ coverImage: join(outside, 'cover.png') });
    expect((await configs.read()).coverImage).toBe(join(outside, 'cover.png'));
  });

  it('refuses, naming coverImage, files in system folders (also through a link), paths leaving DATA_DIR, and non-images; nothing is saved', async () => {
    const before = await readFile(join(dataDir, TELEGRAM_CONFIG_DOCUMENT.file), 'utf8');
    await symlink('/etc/hostname', join(outside, 'linked.png'));
    for (const path of ['/etc/hostname', '/proc/self/environ', join(outside, 'linked.png'), '../outside.png', 'missing.png', outside]) {
      const message = await rejection(path);
      expect(message.join(' '), path).toMatch(/coverImage/);
    }
    ffprobe.execResult = { stdout: MP3_PROBE, stderr: '' };
    expect(await rejection(join(outside, 'cover.png'))).toEqual([
      `coverImage ${join(outside, 'cover.png')} is not an image ffprobe can read`,
    ]);
    expect(await readFile(join(dataDir, TELEGRAM_CONFIG_DOCUMENT.file), 'utf8')).toBe(before);
  });
});
