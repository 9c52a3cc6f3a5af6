import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/config/app-config.js';
import { RtmpIngestKeys } from '../../src/rtmp/ingest-keys.js';
import { RtmpCallbackServer } from '../../src/rtmp/rtmp-callback.server.js';
import { RtmpConfigService } from '../../src/rtmp/rtmp-config.service.js';
import { RtmpPublishAuthService } from '../../src/rtmp/rtmp-publish-auth.service.js';
import { RtmpService } from '../../src/rtmp/rtmp.service.js';
import { freePort } from '../env/index.js';
import { newTestService, type TestService } from '../factory.js';

const KEY = 'dj-anna-7f3c9a1b2d';
const IMAGE = 'wave/rtmp:latest';

/** The publish-callback listener on a real port (unit specs use one that binds none); Docker and /stat are fakes. */
describe('RtmpCallbackServer over HTTP', () => {
  let ctx: TestService<RtmpService>;

  beforeEach(async () => {
    ctx = await newTestService(RtmpService, {
      providers: [RtmpConfigService, RtmpIngestKeys, RtmpPublishAuthService, RtmpCallbackServer],
      env: { RTMP_CALLBACK_HOST: '127.0.0.1', RTMP_CALLBACK_PORT: String(await freePort()) },
    });
    ctx.fakes.docker.images.add(IMAGE);
    ctx.fakes.nginxStat.serve(8080);
    await ctx.get(RtmpConfigService).update({ streamKeys: [KEY] }, async () => {});
  });

  afterEach(() => ctx.close());

  it('answers a publish with the secret by a 302 renaming the stream, and 403 without it', async () => {
    await ctx.sut.start();
    const { docker } = ctx.fakes;
    const secret = /\/rtmp\/([A-Za-z0-9_-]+)\/publish;/.exec(docker.configOf([...docker.containers.keys()][0]))![1];
    const base = (await ctx.get(RtmpCallbackServer).ensureListening()).replace('host.docker.internal', '127.0.0.1');
    expect(base).toBe(`http://127.0.0.1:${ctx.get(AppConfig).rtmpCallbackPort}/rtmp`);
    const form = new URLSearchParams({ app: 'live', name: KEY, addr: '172.17.0.1', call: 'publish' });
    const post = (path: string) => fetch(`${base}${path}`, { method: 'POST', body: form, redirect: 'manual' });
    const published = await post(`/${secret}/publish`);
    expect(published.status).toBe(302);
    expect(published.headers.get('location')).toBe(ctx.get(RtmpIngestKeys).publisherIdOf(KEY));
    expect((await post('/publish')).status).toBe(403);
    expect((await post('/wrong-secret-0123456789abcdef/publish')).status).toBe(403);
  });
});
