import { afterAll, describe, expect, it } from 'vitest';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import { errorShapeProblem, fingerprint, send, type RawRequest } from './hostile.js';
import { operationsOf, type OpenApiDocument } from './openapi.js';

const TOKEN = 'chaos-matrix-token-0123456789';
const CREDENTIALS = {
  none: {},
  wrong: { authorization: 'Bearer chaos-matrix-wrong-token-012345' },
  right: { authorization: `Bearer ${TOKEN}` },
} as const;
/** Served by SwaggerModule beside the documented operations, and under the same rule. */
const DOCS = ['/api/docs', '/api/docs/', '/api/docs-json', '/api/docs-yaml', '/api/docs/swagger-ui.css'];

/**
 * Issue 10's auth matrix: every operation of /api/docs-json (and the docs themselves) × {no token, a wrong
 * token, the right one} × WAVE_PROTECT_READS off and on. Writes under /api, and reads there when reads are
 * protected, answer 401 in the one shape without the right token and never 401 with it; everything else
 * never answers 401. Nothing changes on a 401. Wave runs without a Docker engine, so the actions the right
 * token reaches fail cleanly (503) rather than start containers; wrong tokens are not rate-limited here
 * (WAVE_AUTH_FAILURE_LIMIT=0: the abuse suite tests the limit), so every one of them gets its 401.
 */
describe.each([false, true])('auth matrix with WAVE_PROTECT_READS=%s', (protectReads) => {
  let wave: WaveServer;
  let pm2: Pm2Home;
  afterAll(async () => {
    await wave?.dispose();
    await pm2?.dispose();
  });

  it('answers 401 exactly where the token is needed and missing or wrong, and changes nothing then', async () => {
    pm2 = await createPm2Home();
    wave = await startWave({
      env: {
        NODE_ENV: 'production',
        WAVE_API_TOKEN: TOKEN,
        WAVE_PROTECT_READS: String(protectReads),
        WAVE_AUTH_FAILURE_LIMIT: '0',
        PM2_HOME: pm2.path,
        DOCKER_HOST: 'unix:///nonexistent/wave-chaos-matrix.sock',
      },
    });
    const doc = (await send(wave.baseUrl, { method: 'GET', path: '/api/docs-json', headers: CREDENTIALS.right })).body as OpenApiDocument;
    const requests: Array<{
      name: string;
      needsToken: boolean;
      request: Omit<RawRequest, 'headers'> & { headers?: Record<string, string> };
    }> = [
      ...operationsOf(doc).map((op) => {
        const hasBody = op.method !== 'GET' && op.method !== 'HEAD';
        return {
          name: `${op.method} ${op.path}`,
          needsToken: op.path.startsWith('/api/') && (op.method !== 'GET' || protectReads),
          // A body no route accepts, so that what the right token reaches changes nothing either.
          request: {
            method: op.method,
            path: op.path.replace(/\{[^}]+\}/g, 'matrix-no-such-id'),
            ...(hasBody ? { headers: { 'content-type': 'application/json' }, body: '{"__matrix__":true}' } : {}),
          },
        };
      }),
      ...DOCS.map((path) => ({ name: `GET ${path}`, needsToken: protectReads, request: { method: 'GET', path } })),
    ];
    expect(requests.length).toBeGreaterThan(25);
    // Every document exists before the unauthenticated round, so a change would show.
    for (const path of ['/api/tracks', '/api/stream/rtmp/config', '/api/stream/telegram/config']) {
      await send(wave.baseUrl, { method: 'GET', path, headers: CREDENTIALS.right });
    }
    const before = await fingerprint(wave.dataDir);

    const wrongAnswers: string[] = [];
    const expectAnswer = async (
      name: string,
      needsToken: boolean,
      credential: keyof typeof CREDENTIALS,
      request: (typeof requests)[number]['request'],
    ) => {
      const answer = await send(wave.baseUrl, { ...request, headers: { ...request.headers, ...CREDENTIALS[credential] } });
      const expected401 = needsToken && credential !== 'right';
      if (expected401 !== (answer.status === 401))
        wrongAnswers.push(`${name} with ${credential} token → ${answer.status} ${answer.text.slice(0, 120)}`);
      if (answer.status === 401) {
        const problem =
          errorShapeProblem(answer) ??
          ((answer.body as { code?: string }).code === 'unauthorized' ? undefined : 'code is not unauthorized');
        if (problem) wrongAnswers.push(`${name} with ${credential} token: ${problem}`);
      }
    };
    for (const credential of ['none', 'wrong'] as const) {
      for (const { name, needsToken, request } of requests) await expectAnswer(name, needsToken, credential, request);
    }
    expect(await fingerprint(wave.dataDir)).toEqual(before);
    for (const { name, needsToken, request } of requests) await expectAnswer(name, needsToken, 'right', request);

    const guarded = requests.filter((r) => r.needsToken).length;
    console.info(
      `[chaos] auth matrix (protect reads ${protectReads}): ${requests.length} routes × 3 credentials, ${guarded} need the token`,
    );
    expect(wrongAnswers).toEqual([]);
  });
});
