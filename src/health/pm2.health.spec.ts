import { HealthIndicatorService } from '@nestjs/terminus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakePm2Repository } from '../../test/fakes/pm2.repository.fake.js';
import { Pm2HealthIndicator } from './pm2.health.js';

describe('Pm2HealthIndicator (fake PM2)', () => {
  let ctx: TestService<Pm2HealthIndicator>;
  let pm2: FakePm2Repository;

  beforeEach(async () => {
    ctx = await newTestService(Pm2HealthIndicator, { providers: [HealthIndicatorService] });
    pm2 = ctx.fakes.pm2;
  });
  afterEach(() => ctx.close());

  it('is up when no PM2 daemon runs (Wave launches one with the stream), without launching one', async () => {
    expect(await ctx.sut.isResponsive()).toEqual({ pm2: { status: 'up', daemon: 'not running', home: pm2.home } });
    expect(pm2.daemon).toBe('not running');
    expect(pm2.connected).toBe(false);
    expect(pm2.calls).toEqual([]);
  });

  it("is up with the Telegram daemon's PM2 state when PM2 answers", async () => {
    await pm2.start({ name: 'telegram-stream', script: 'dist/scripts/telegramStreamProcess.js' });
    expect(await ctx.sut.isResponsive()).toEqual({ pm2: { status: 'up', daemon: 'running', home: pm2.home, 'telegram-stream': 'online' } });
    await pm2.delete('telegram-stream');
    await pm2.connect();
    expect(await ctx.sut.isResponsive()).toEqual({
      pm2: { status: 'up', daemon: 'running', home: pm2.home, 'telegram-stream': 'not_started' },
    });
  });

  it('is down when a running daemon does not answer (the probe bounds it to 3 s: pm2.repository.spec.ts)', async () => {
    pm2.daemon = 'not answering';
    expect(await ctx.sut.isResponsive()).toEqual({
      pm2: { status: 'down', code: 'pm2_not_answering', daemon: 'not answering', home: pm2.home, message: 'PM2 did not answer within 3 s' },
    });
  });
});
