import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { StreamingStatus } from '../contracts/socket-events.js';
import { SocketAudience } from '../streaming/socket-audience.js';
import { StreamingStatusService } from '../streaming/streaming-status.service.js';
import { LogFiles } from './log-files.service.js';
import { MetricsService } from './metrics.service.js';
import { MonitoringService } from './monitoring.service.js';

const STATUS: StreamingStatus = {
  leader: { instanceId: 'wave-1', url: 'http://127.0.0.1:6970', since: '2026-01-01T20:00:00.000Z' },
  rtmp: { state: 'stopped', publishers: 0, port: null, detail: null },
  telegram: { state: 'stopped', connection: 'stopped', source: null, reconnects: 0, detail: null },
  nowPlaying: null,
  destinations: [],
  listeners: { public: 0, admin: 0 },
  updatedAt: new Date(0).toISOString(),
};

describe('MonitoringService (fake Docker and PM2)', () => {
  let ctx: TestService<MonitoringService>;

  beforeEach(async () => {
    ctx = await newTestService(MonitoringService, {
      providers: [
        LogFiles,
        { provide: StreamingStatusService, useValue: { current: () => Promise.resolve(STATUS) } },
        { provide: MetricsService, useValue: {} },
        { provide: SocketAudience, useValue: { count: () => 0 } },
      ],
    });
  });
  afterEach(() => ctx.close());

  it("reports the engine and the PM2 daemon by the probes health uses: up with the engine's version, PM2 not running", async () => {
    expect(await ctx.sut.services()).toMatchObject({
      rtmp: STATUS.rtmp,
      telegram: STATUS.telegram,
      docker: { state: 'up', detail: '26.1.5' },
      pm2: { state: 'down', detail: 'no PM2 daemon answers (it starts with the Telegram stream)' },
    });
  });

  it('an engine away and a PM2 daemon that does not answer are down, with why', async () => {
    ctx.fakes.docker.unreachable = true;
    ctx.fakes.pm2.daemon = 'not answering';
    expect(await ctx.sut.services()).toMatchObject({
      docker: { state: 'down', detail: 'Docker engine is unreachable at the fake engine: connect ENOENT' },
      pm2: { state: 'down', detail: 'PM2 did not answer within 3 s' },
    });
    ctx.fakes.docker.unreachable = false;
    ctx.fakes.pm2.daemon = 'running';
    expect(await ctx.sut.services()).toMatchObject({ docker: { state: 'up' }, pm2: { state: 'up', detail: null } });
  });

  it("reports the disk holding DATA_DIR (the spec's own temp dir)", async () => {
    const { disk } = await ctx.sut.system();
    expect(disk.path).toBe(ctx.dataDir);
    expect(disk.totalBytes).toBeGreaterThan(0);
    expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
    expect(disk.usedBytes).toBeLessThanOrEqual(disk.totalBytes);
  });
});
