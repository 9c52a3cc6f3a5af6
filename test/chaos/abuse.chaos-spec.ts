import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWave, WaveServer } from '../env/wave-server.js';
import { errorShapeProblem, fingerprint, send } from './hostile.js';

const TOKEN = 'chaos-abuse-token-0123456789';

/**
 * Issue 10, finding 7: wrong tokens were never rate-limited (400 wrong-token PUTs: 0 × 429), the API docs
 * stayed open with WAVE_PROTECT_READS=true, and a flood of reads rotated Wave's log history away.
 */
describe('abuse: token guessing, open docs, log floods', () => {
  const servers: WaveServer[] = [];
  const start = async (env: Record<string, string>) => {
    const wave = await startWave({ env: { NODE_ENV: 'production', WAVE_API_TOKEN: TOKEN, ...env } });
    servers.push(wave);
    return wave;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.dispose()));
  });

  it('answers 429 to a client that keeps sending wrong tokens, the right token too while it is refused, and changes nothing', async () => {
    const wave = await start({});
    await send(wave.baseUrl, { method: 'GET', path: '/api/stream/rtmp/config' });
    const before = await fingerprint(wave.dataDir);
    const put = (token: string) =>
      send(wave.baseUrl, {
        method: 'PUT',
        path: '/api/stream/rtmp/config',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ maxConnections: 7 }),
      });
    const answers = [];
    for (let i = 0; i < 400; i++) answers.push(await put(`wrong-token-${i}-0123456789`));
    const counts = answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
    console.info(`[chaos] 400 wrong-token PUTs: ${JSON.stringify(counts)}`);
    expect(counts).toEqual({ 401: 10, 429: 390 });
    const refused = answers.at(-1)!;
    expect(errorShapeProblem(refused)).toBeUndefined();
    expect(refused.body).toMatchObject({ code: 'too_many_auth_failures' });

    const right = await put(TOKEN);
    expect(right.status).toBe(429);
    expect(await fingerprint(wave.dataDir)).toEqual(before);
    // Requests that need no token are not refused: the client is only kept from guessing.
    expect((await send(wave.baseUrl, { method: 'GET', path: '/api/stream/rtmp/config' })).status).toBe(200);
    expect((await send(wave.baseUrl, { method: 'GET', path: '/health/live' })).status).toBe(200);
    // The refusal was logged once, in Wave's own log.
    const log = await readFile(join(wave.logDir, 'wave.log'), 'utf8');
    expect(log.match(/wrong tokens within/g)).toHaveLength(1);
  });

  it('keeps /api/docs and /api/docs-json behind the token when reads are, open when they are not', async () => {
    const locked = await start({ WAVE_PROTECT_READS: 'true' });
    const open = await start({});
    const paths = [
      '/api/docs',
      '/api/docs/',
      '/api/docs-json',
      '/api/docs-yaml',
      '/api/docs/swagger-ui.css',
      '/api/docs/swagger-ui-init.js',
    ];
    for (const path of paths) {
      const without = await send(locked.baseUrl, { method: 'GET', path });
      expect(without.status, `${path} without the token`).toBe(401);
      expect(errorShapeProblem(without), path).toBeUndefined();
      expect(without.text).not.toContain('openapi');
      const wrong = await send(locked.baseUrl, { method: 'GET', path, headers: { authorization: 'Bearer wrong-token-0123456789' } });
      expect(wrong.status, `${path} with a wrong token`).toBe(401);
      const withToken = await send(locked.baseUrl, { method: 'GET', path, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(withToken.status, `${path} with the token`).toBe(200);
      expect((await send(open.baseUrl, { method: 'GET', path })).status, `${path} with reads open`).toBe(200);
    }
  });

  it('a flood of reads leaves wave.log as it was: the requests go to access.log', async () => {
    const wave = await start({});
    const log = join(wave.logDir, 'wave.log');
    // The boot lines are the history a flood must not push out.
    await expect.poll(() => readFile(log, 'utf8').catch(() => ''), { timeout: 5000 }).toContain('Wave listening on');
    const history = await readFile(log, 'utf8');
    const FLOOD = 20_000;
    const CONCURRENCY = 32;
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < FLOOD) {
          sent++;
          const res = await fetch(`${wave.baseUrl}/api/stream/rtmp/config`);
          await res.arrayBuffer();
        }
      }),
    );
    const access = join(wave.logDir, 'access.log');
    await expect
      .poll(async () => (await readFile(access, 'utf8').catch(() => '')).split('\n').length, { timeout: 10_000 })
      .toBeGreaterThan(FLOOD);
    const after = await readFile(log, 'utf8');
    console.info(
      `[chaos] ${FLOOD} reads: wave.log ${history.length} → ${after.length} bytes, access.log ${(await stat(access)).size} bytes`,
    );
    expect(after.startsWith(history)).toBe(true);
    // Nothing of the flood reached Wave's own log.
    expect(after.length - history.length).toBeLessThan(4096);
  });
});
