import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { MediaProbeService } from '../media/media-probe.service.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramSoundListener } from './telegram-sound.listener.js';

describe('TelegramSoundListener', () => {
  let ctx: TestService<TelegramSoundListener>;
  beforeEach(async () => {
    ctx = await newTestService(TelegramSoundListener, { providers: [TelegramConfigService, MediaProbeService] });
  });
  afterEach(() => ctx.close());

  const settings = () =>
    ctx.events.filter(([name]) => name === 'sound.settings').map(([, event]) => event as { silenceThresholdDb: number });

  it('tells the silence threshold at boot and after each change of the Telegram config', async () => {
    await vi.waitFor(() => expect(settings()).toHaveLength(1));
    expect(settings()[0].silenceThresholdDb).toBe(-50);
    await ctx.get(TelegramConfigService).update({ silenceThresholdDb: -42 });
    await vi.waitFor(() => expect(settings().at(-1)?.silenceThresholdDb).toBe(-42));
  });
});
