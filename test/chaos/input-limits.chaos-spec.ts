import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../env/index.js';
import { startWave, WaveServer } from '../env/wave-server.js';
import {
  deepObjectJson,
  errorShapeProblem,
  fingerprint,
  libraryContent,
  librarySnapshotSettled,
  nestedJson,
  send,
  type RawAnswer,
} from './hostile.js';
import { loopRounds } from './loop-probe.js';
import { makeTone } from '../env/media.js';

const TOKEN = 'chaos-input-token-0123456789';
/** No single request may hold Wave's event loop longer than this (issue 10). */
const LOOP_BUDGET_MS = 50;

/**
 * Issue 10, finding 5: input that answered 500 or stalled the event loop. Each answer must be a 4xx in the
 * one error shape naming what was wrong, the loop must keep answering /health/live within 50 ms, and no
 * data file may change.
 */
describe('hostile input: depth, sizes, null, multipart, control characters', () => {
  let wave: WaveServer;
  let trackId: string;
  let before: Record<string, string>;
  let libraryBefore: unknown[];
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = (method: string, path: string, body: string | Uint8Array, extra: Record<string, string> = {}) =>
    send(wave.baseUrl, { method, path, headers: { 'content-type': 'application/json', ...auth, ...extra }, body });
  const jsonRoutes = (): Array<[string, string]> => [
    ['PUT', '/api/stream/rtmp/config'],
    ['PUT', '/api/stream/telegram/config'],
    ['POST', '/api/tracks'],
    ['PUT', '/api/tracks/order'],
    ['PATCH', `/api/tracks/${trackId}`],
  ];

  beforeAll(async () => {
    const media = await makeTempDir('chaos-input-media');
    const song = join(media, 'song.mp3');
    await makeTone(song, { seconds: 1 });
    wave = await startWave({ env: { NODE_ENV: 'production', WAVE_API_TOKEN: TOKEN } });
    const added = await json('POST', '/api/tracks', JSON.stringify({ path: song, title: 'Kept' }));
    expect(added.status).toBe(201);
    trackId = (added.body as { id: string }).id;
    // Every document exists from here on; none may change below.
    for (const path of ['/api/stream/rtmp/config', '/api/stream/telegram/config'])
      expect((await send(wave.baseUrl, { method: 'GET', path })).status).toBe(200);
    await librarySnapshotSettled(wave.baseUrl, wave.dataDir);
    before = await fingerprint(wave.dataDir);
    libraryBefore = await libraryContent(wave.baseUrl);
  });

  afterAll(async () => {
    await wave?.dispose();
  });

  /** A 400 in the one shape, with `code` when given and a message naming `names` when given. */
  function expectRefused(answer: RawAnswer, what: string, code?: string, names?: string): void {
    expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBe(400);
    expect(errorShapeProblem(answer), what).toBeUndefined();
    if (code) expect((answer.body as { code?: string }).code, what).toBe(code);
    if (names) expect((answer.body as { message: string[] }).message.join(' | '), what).toContain(names);
  }

  it('answers JSON nested 2,000 levels, or 1 MB deep, on every JSON-body route with a 400 json_too_deep', async () => {
    for (const [method, path] of jsonRoutes()) {
      for (const [name, body] of [
        ['2,000 nested arrays', nestedJson(2000)],
        ['a field holding 2,000 levels', `{"title":${nestedJson(2000)}}`],
        ['1 MB of nested objects', deepObjectJson(1000 * 1000)],
      ]) {
        expectRefused(await json(method, path, body), `${method} ${path} with ${name}`, 'json_too_deep');
      }
    }
  });

  it(`keeps /health/live within ${LOOP_BUDGET_MS} ms while 1 MB nested bodies arrive four at once`, async () => {
    const body = Buffer.from(deepObjectJson(1000 * 1000));
    const { results, maxima, best } = await loopRounds(wave.baseUrl, 5, () =>
      Promise.all(
        jsonRoutes()
          .slice(0, 4)
          .map(([method, path]) => json(method, path, body)),
      ),
    );
    for (const answer of results.flat()) expectRefused(answer, 'a 1 MB nest', 'json_too_deep');
    console.info(
      `[chaos] 4 × 1 MB nested bodies at once, 5 rounds: /health/live max per round ${maxima.map((m) => m.toFixed(1)).join(', ')} ms`,
    );
    expect(best).toBeLessThan(LOOP_BUDGET_MS);
  });

  it('refuses null for a field with a 400 naming it (PATCH {"title":null} answered 500)', async () => {
    for (const [method, path, field] of [
      ['PATCH', `/api/tracks/${trackId}`, 'title'],
      ['PATCH', `/api/tracks/${trackId}`, 'artist'],
      ['POST', '/api/tracks', 'path'],
      ['PUT', '/api/stream/telegram/config', 'streamKey'],
      ['PUT', '/api/stream/telegram/config', 'audioBitrateKbps'],
      ['PUT', '/api/stream/telegram/config', 'liveTakeover'],
      ['PUT', '/api/stream/rtmp/config', 'rtmpPort'],
      ['PUT', '/api/stream/rtmp/config', 'streamKeys'],
    ]) {
      expectRefused(await json(method, path, JSON.stringify({ [field]: null })), `${method} ${path} {"${field}":null}`, undefined, field);
    }
  });

  it('answers a multipart upload cut short with a 400 invalid_multipart, and stores nothing', async () => {
    const boundary = 'chaos-boundary-1234';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`;
    const audio = await readFile(join(import.meta.dirname, '../../package.json')); // any bytes: the body ends before the file does
    for (const [name, body] of [
      ['no closing boundary', Buffer.concat([Buffer.from(head), audio])],
      ['cut inside the closing boundary', Buffer.concat([Buffer.from(head), audio, Buffer.from(`\r\n--${boundary.slice(0, 5)}`)])],
      ['cut inside the part headers', Buffer.from(head.slice(0, 40))],
    ] as const) {
      const answer = await send(wave.baseUrl, {
        method: 'POST',
        path: '/api/tracks/upload',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...auth },
        body,
      });
      expectRefused(answer, `an upload with ${name}`);
    }
    const { body } = await send(wave.baseUrl, { method: 'GET', path: '/api/tracks' });
    expect((body as { tracks: unknown[] }).tracks).toHaveLength(1);
  });

  it(`answers PUT /api/tracks/order with 100,000 ids with a 400 (and 10,000 unknown ids with a 409) within the loop budget`, async () => {
    const hundredThousand = Buffer.from(JSON.stringify({ trackIds: Array.from({ length: 100_000 }, (_, i) => `t${i}`) }));
    const tenThousand = Buffer.from(
      JSON.stringify({ trackIds: Array.from({ length: 10_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) }),
    );
    const { results, maxima, best } = await loopRounds(wave.baseUrl, 5, async () => [
      await json('PUT', '/api/tracks/order', hundredThousand),
      await json('PUT', '/api/tracks/order', tenThousand),
    ]);
    for (const [tooMany, unknown] of results) {
      expectRefused(tooMany, '100,000 ids', 'json_array_too_long');
      expect(unknown.status).toBe(409);
      expect(errorShapeProblem(unknown)).toBeUndefined();
      expect((unknown.body as { message: string[] }).message.length).toBeLessThan(30);
    }
    console.info(
      `[chaos] reorder with 100,000 and 10,000 ids, 5 rounds: /health/live max per round ${maxima.map((m) => m.toFixed(1)).join(', ')} ms`,
    );
    expect(best).toBeLessThan(LOOP_BUDGET_MS);
  });

  it('refuses stream keys, paths and URLs with NUL or control characters (a NUL key was stored and killed the daemon)', async () => {
    for (const bad of ['1234567890:Abc\u0000def', '1234567890:Abc\u0007def', '1234567890:\u001b[2J', '1234567890:Abc\u007f']) {
      expectRefused(
        await json('PUT', '/api/stream/telegram/config', JSON.stringify({ streamKey: bad })),
        `streamKey ${JSON.stringify(bad)}`,
        undefined,
        'streamKey',
      );
    }
    for (const [field, value] of [
      ['coverImage', 'cover\u0000.png'],
      ['radioUrl', 'https://radio.example/a\u0000.mp3'],
      ['relayUrl', 'rtmp://ingest.example/live/\u0001key'],
      ['serverUrl', 'rtmps://dc4-1.rtmp.t.me/s/\u0000'],
    ]) {
      expectRefused(
        await json('PUT', '/api/stream/telegram/config', JSON.stringify({ [field]: value })),
        `${field} ${JSON.stringify(value)}`,
        undefined,
        field,
      );
    }
    expectRefused(
      await json('PUT', '/api/stream/rtmp/config', JSON.stringify({ streamKeys: ['dj-anna-\u00007f3c9a1b'] })),
      'an RTMP key with NUL',
      undefined,
      'streamKeys',
    );
    expectRefused(
      await json('POST', '/api/tracks', JSON.stringify({ path: '/tmp/a\u0000.mp3' })),
      'a track path with NUL',
      undefined,
      'path',
    );
    const { body } = await send(wave.baseUrl, { method: 'GET', path: '/api/stream/telegram/config' });
    expect(body).toMatchObject({ streamKeySet: false });
  });

  it('left every data file byte for byte as it was', async () => {
    expect(await fingerprint(wave.dataDir)).toEqual(before);
    expect(await libraryContent(wave.baseUrl)).toEqual(libraryBefore);
  });
});
