import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, testEnv } from '../env/index.js';
import { createPm2Home, type Pm2Home } from '../env/pm2-home.js';
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
  type RawRequest,
} from './hostile.js';
import { loopRounds, withLoopProbe } from './loop-probe.js';
import { operationsOf, type OpenApiDocument, type Operation, type SchemaObject } from './openapi.js';
import { makeTone } from '../env/media.js';

const TOKEN = 'chaos-fuzz-token-0123456789';
const LOOP_BUDGET_MS = 50;

interface Variant {
  name: string;
  request: RawRequest;
}

const LONG = 'x'.repeat(100_000);
const CONTROL = 'a\u0000b\u0001c\u001b[31m\u007fd\r\ne';
const HUGE_ARRAY = `[${'1,'.repeat(99_999)}1]`;

/** Raw JSON texts that are wrong for a field of `schema`: every one must be refused, none may change anything. */
function hostileValues(schema: SchemaObject): Array<[string, string]> {
  const values: Array<[string, string]> = [
    // null is a value where the schema says so (e.g. a cue reset to the detected one).
    ...(schema.nullable ? [] : ([['null', 'null']] as Array<[string, string]>)),
    ['an object', '{"a":1}'],
    ['nested 2,000 levels', nestedJson(2000)],
    ['100,000 elements', HUGE_ARRAY],
    ['an array of nulls', '[null,null]'],
    ['__proto__', '{"__proto__":{"polluted":true}}'],
  ];
  if (schema.type !== 'string')
    values.push(['a string', '"text"'], ['100,000 characters', JSON.stringify(LONG)], ['control characters', JSON.stringify(CONTROL)]);
  else
    values.push(
      ['100,000 characters', JSON.stringify(LONG)],
      ['control characters', JSON.stringify(CONTROL)],
      ['a number', '12345'],
      ['true', 'true'],
    );
  if (schema.type === 'integer') values.push(['a fraction', '1.5']);
  if (schema.type === 'integer' || schema.type === 'number')
    values.push(['-1', '-1'], ['1e309', '1e309'], ['a numeric string', '"123"'], ['true', 'true']);
  if (schema.type === 'boolean') values.push(['1', '1'], ['"true"', '"true"']);
  if (schema.type === 'array')
    values.push(['a number', '7'], ['strings that are no keys or ids', '["text", ""]'], ['an array of arrays', '[[1],[2]]']);
  return values;
}

/** Whole bodies that are wrong for any JSON route, and wrong content types. */
function hostileBodies(): Array<[string, string, string | Uint8Array]> {
  const manyKeys = `{${Array.from({ length: 30_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
  return [
    ['an array body', 'application/json', '[]'],
    ['an array of objects', 'application/json', '[{}]'],
    ['a string body', 'application/json', '"hello"'],
    ['a number body', 'application/json', '42'],
    ['a null body', 'application/json', 'null'],
    ['an empty body', 'application/json', ''],
    ['cut-off JSON', 'application/json', '{"a":'],
    ['trailing garbage', 'application/json', '{} trailing'],
    ['an unknown field', 'application/json', '{"__fuzz__":1}'],
    ['__proto__', 'application/json', '{"__proto__":{"polluted":true}}'],
    ['constructor.prototype', 'application/json', '{"constructor":{"prototype":{"polluted":true}}}'],
    ['2,000 nested arrays', 'application/json', nestedJson(2000)],
    ['1 MB of nested objects', 'application/json', deepObjectJson(1000 * 1000)],
    ['30,000 keys', 'application/json', manyKeys],
    ['2 MB', 'application/json', JSON.stringify({ pad: 'p'.repeat(2 * 1024 * 1024) })],
    ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['text/plain', 'text/plain', '{"title":"from text"}'],
    ['an unknown field urlencoded', 'application/x-www-form-urlencoded', '__fuzz__=1&__proto__=x'],
    ['an unknown media type', 'application/x-fuzz', '{}'],
    ['a charset JSON does not have', 'application/json; charset=utf-7', '{"__fuzz__":1}'],
  ];
}

/** Bodies a route without one would take (and ignore): sent to those routes once, as 'an unknown field'. */
const WELL_FORMED = [
  'an array body',
  'an array of objects',
  'a string body',
  'a number body',
  'a null body',
  'constructor.prototype',
  '30,000 keys',
  'invalid UTF-8',
  'text/plain',
  'a charset JSON does not have',
];

const HOSTILE_IDS = [
  'x'.repeat(300),
  '%00',
  '%0a%0d',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%ZZ',
  '%F0%9F%8E%A7',
  '__proto__',
  'constructor',
  '%20',
  "'%20OR%201%3D1--",
];
const HOSTILE_QUERY_VALUES = [
  '',
  'x'.repeat(4000),
  '-1',
  '0',
  '1.5',
  '1e309',
  'NaN',
  '0x10',
  '%00',
  '%0d%0a',
  'true',
  '%5B%5D',
  'wave%00',
  '__proto__',
  '1000000',
];

/** Every hostile request for `op`; `id` fills a path parameter where the variant is not about it. */
function variantsFor(op: Operation, id: string): Variant[] {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const pathWith = (value: string) => op.path.replace(/\{[^}]+\}/g, value);
  const variants: Variant[] = [];
  const add = (name: string, request: Omit<RawRequest, 'headers'> & { headers?: Record<string, string> }) =>
    variants.push({ name, request: { ...request, headers: { ...auth, ...request.headers } } });
  const hasBody = op.method !== 'GET' && op.method !== 'HEAD';

  for (const value of HOSTILE_IDS)
    if (op.pathParams.length > 0) add(`path parameter ${value.slice(0, 20)}`, { method: op.method, path: pathWith(value) });
  for (const { name, schema } of op.query) {
    for (const value of HOSTILE_QUERY_VALUES)
      add(`?${name}=${value.slice(0, 20)}`, { method: op.method, path: `${pathWith(id)}?${name}=${value}` });
    add(`?${name} twice`, { method: op.method, path: `${pathWith(id)}?${name}=1&${name}=${String(schema.enum?.[0] ?? 2)}` });
  }
  add('unknown and polluting query parameters', {
    method: op.method,
    path: `${pathWith(id)}?__proto__[polluted]=1&constructor[prototype][x]=1&__fuzz__=${'q'.repeat(2000)}`,
  });
  if (!hasBody) return variants;

  if (op.jsonBody) {
    for (const [field, schema] of Object.entries(op.jsonBody)) {
      for (const [name, raw] of hostileValues(schema)) {
        add(`${field}: ${name}`, {
          method: op.method,
          path: pathWith(id),
          headers: { 'content-type': 'application/json' },
          body: `{"${field}":${raw}}`,
        });
      }
    }
  }
  if (op.jsonBody || !op.multipart) {
    for (const [name, type, body] of hostileBodies()) {
      // A route without a body ignores a well-formed one (an action such as start runs): a few reach it, the rest are refused first.
      if (!op.jsonBody && WELL_FORMED.includes(name)) continue;
      add(`body: ${name}`, { method: op.method, path: pathWith(id), headers: { 'content-type': type }, body });
    }
  }
  if (op.multipart)
    for (const variant of multipartVariants()) add(variant.name, { ...variant.request, method: op.method, path: pathWith(id) });
  return variants;
}

/** Uploads that are broken, too big in their parts, or not audio: none may store anything. */
function multipartVariants(): Variant[] {
  const boundary = 'fuzz-boundary-0123';
  const type = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file = (name: string, filename: string, content: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: audio/mpeg\r\n\r\n${content}\r\n`;
  const end = `--${boundary}--\r\n`;
  const request = (body: string | Uint8Array, headers: Record<string, string> = type): RawRequest => ({
    method: 'POST',
    path: '',
    headers,
    body,
  });
  return [
    { name: 'multipart: JSON instead', request: request('{"file":"x"}', { 'content-type': 'application/json' }) },
    { name: 'multipart: no closing boundary', request: request(file('file', 'a.mp3', 'ID3'.repeat(1000))) },
    { name: 'multipart: cut in the part headers', request: request(`--${boundary}\r\nContent-Disposition: form-da`) },
    { name: 'multipart: no parts', request: request(end) },
    { name: 'multipart: no file field', request: request(field('title', 'x') + end) },
    { name: 'multipart: two files', request: request(file('file', 'a.mp3', 'not audio') + file('file', 'b.mp3', 'not audio') + end) },
    {
      name: 'multipart: ten fields',
      request: request(Array.from({ length: 10 }, (_, i) => field(`f${i}`, 'v')).join('') + file('file', 'a.mp3', 'x') + end),
    },
    { name: 'multipart: a 100 kB field', request: request(field('title', 't'.repeat(100_000)) + file('file', 'a.mp3', 'x') + end) },
    { name: 'multipart: not audio', request: request(file('file', 'a.mp3', 'just text, no audio') + end) },
    { name: 'multipart: empty file', request: request(file('file', 'a.mp3', '') + end) },
    { name: 'multipart: hostile file name', request: request(file('file', '../../../etc/passwd\u0001.mp3', 'no audio') + end) },
    { name: 'multipart: no boundary', request: request(file('file', 'a.mp3', 'x') + end, { 'content-type': 'multipart/form-data' }) },
    {
      name: 'multipart: another boundary',
      request: request(file('file', 'a.mp3', 'x') + end, { 'content-type': 'multipart/form-data; boundary=other' }),
    },
    { name: 'multipart: binary junk', request: request(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))) },
  ];
}

/**
 * Issue 10's chaos suite: a fuzz of every operation the running Wave documents in /api/docs-json, with
 * the token (auth is the matrix's business), hostile bodies, parameters and queries: wrong types, null,
 * huge strings, deep nesting, control characters, huge arrays, unknown fields, broken uploads. No answer
 * may be a 5xx, every 4xx has the one error shape, the data files stay byte for byte as they were, and
 * /health/live keeps answering within the loop budget. Wave runs on the real Docker engine and a private
 * PM2, so an action a hostile request still reaches (an RTMP start with a junk query) does what it does.
 */
describe('fuzz of every OpenAPI operation', () => {
  let wave: WaveServer;
  let pm2: Pm2Home;
  let trackId: string;
  let operations: Operation[];

  beforeAll(async () => {
    const media = await makeTempDir('chaos-fuzz-media');
    const song = join(media, 'song.mp3');
    await makeTone(song, { seconds: 1 });
    const dataDir = await makeTempDir('chaos-fuzz-data');
    // An ingest of its own (name, ports), so what the fuzz starts collides with nothing.
    await writeFile(
      join(dataDir, 'streaming-config.json'),
      JSON.stringify({
        containerName: `wave-fuzz-${process.pid}`,
        rtmpPort: await freePort(),
        httpPort: await freePort(),
        image: testEnv.rtmpImage(),
      }),
    );
    pm2 = await createPm2Home();
    wave = await startWave({
      dataDir,
      env: {
        NODE_ENV: 'production',
        WAVE_API_TOKEN: TOKEN,
        PM2_HOME: pm2.path,
        DOCKER_HOST: testEnv.dockerHost(),
        RTMP_CALLBACK_PORT: String(await freePort()),
      },
    });
    const added = await send(wave.baseUrl, {
      method: 'POST',
      path: '/api/tracks',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ path: song }),
    });
    expect(added.status).toBe(201);
    trackId = (added.body as { id: string }).id;
    for (const path of ['/api/stream/rtmp/config', '/api/stream/telegram/config']) await send(wave.baseUrl, { method: 'GET', path });
    // The ingest config as Wave writes it (defaults filled in, its layout): a PUT without a body is an empty
    // update and rewrites the file so, changing no setting.
    const canonical = await send(wave.baseUrl, {
      method: 'PUT',
      path: '/api/stream/rtmp/config',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(canonical.status, canonical.text).toBe(200);
    operations = operationsOf((await send(wave.baseUrl, { method: 'GET', path: '/api/docs-json' })).body as OpenApiDocument);
  });

  afterAll(async () => {
    if (wave)
      await send(wave.baseUrl, { method: 'POST', path: '/api/stream/rtmp/stop', headers: { authorization: `Bearer ${TOKEN}` } }).catch(
        () => undefined,
      );
    await wave?.dispose();
    await pm2?.dispose();
  });

  it('answers every hostile request below 500, every error in the one shape, changes no data file and keeps the loop within budget', async () => {
    expect(operations.length).toBeGreaterThan(20);
    await librarySnapshotSettled(wave.baseUrl, wave.dataDir);
    const before = await fingerprint(wave.dataDir);
    const libraryBefore = await libraryContent(wave.baseUrl);
    const uploadsBefore = await readdir(join(wave.dataDir, 'tracks')).catch(() => []);
    const answered: Array<{ op: string; variant: string; request: RawRequest; answer: RawAnswer; ms: number; from: number; to: number }> =
      [];

    const { loop } = await withLoopProbe(wave.baseUrl, async () => {
      for (const op of operations) {
        // A real id where the variant is not about it: bodies are judged against a track that exists (DELETE gets none).
        const id = op.method === 'DELETE' ? 'no-such-track' : trackId;
        for (const variant of variantsFor(op, id)) {
          const from = Date.now();
          const started = performance.now();
          const answer = await send(wave.baseUrl, variant.request);
          answered.push({
            op: `${op.method} ${op.path}`,
            variant: variant.name,
            request: variant.request,
            answer,
            ms: performance.now() - started,
            from,
            to: Date.now(),
          });
        }
      }
    });

    // A probe over budget names the requests in flight then. The shared cores (other processes) delay probes too,
    // so each of those requests is measured again alone, three rounds: a request that holds the loop does so in
    // every round, a neighbour's load does not.
    const spikes = loop.samples.filter((s) => s.ms >= LOOP_BUDGET_MS);
    const suspects = answered.filter((a) => spikes.some((s) => a.from <= s.at + s.ms && a.to >= s.at));
    const remeasured: Array<{ name: string; best: number; maxima: number[] }> = [];
    for (const suspect of suspects.slice(0, 40)) {
      const { maxima, best } = await loopRounds(wave.baseUrl, 3, () => send(wave.baseUrl, suspect.request));
      remeasured.push({ name: `${suspect.op} [${suspect.variant}]`, best, maxima });
    }

    const byStatus = answered.reduce<Record<number, number>>(
      (acc, a) => ({ ...acc, [a.answer.status]: (acc[a.answer.status] ?? 0) + 1 }),
      {},
    );
    const slowest = [...answered].sort((a, b) => b.ms - a.ms)[0];
    console.info(
      `[chaos] fuzz: ${answered.length} requests over ${operations.length} operations, by status ${JSON.stringify(byStatus)}; ` +
        `/health/live max ${loop.maxMs.toFixed(1)} ms, p99 ${loop.p99Ms.toFixed(1)} ms, p50 ${loop.p50Ms.toFixed(1)} ms over ${loop.count} probes; ` +
        `slowest answer ${slowest.ms.toFixed(0)} ms (${slowest.op}, ${slowest.variant}); ` +
        `${spikes.length} probes ≥ ${LOOP_BUDGET_MS} ms, ${suspects.length} requests in flight then, measured again alone: ` +
        (remeasured.map((r) => `${r.name} ${r.maxima.map((m) => m.toFixed(0)).join('/')} ms`).join('; ') || 'none'),
    );
    const show = (a: (typeof answered)[number]) => `${a.op} [${a.variant}] → ${a.answer.status} ${a.answer.text.slice(0, 160)}`;
    expect(answered.filter((a) => a.answer.status >= 500).map(show)).toEqual([]);
    // Cut off while sending: only a body over the 1 MiB limit, which Wave answers 413 before reading it all.
    expect(answered.filter((a) => a.answer.status === 0 && (a.request.body?.length ?? 0) <= 1024 * 1024).map(show)).toEqual([]);
    expect(
      answered
        .filter((a) => a.answer.status >= 400 && errorShapeProblem(a.answer))
        .map((a) => `${show(a)}: ${errorShapeProblem(a.answer)}`),
    ).toEqual([]);
    // A hostile JSON body is refused wherever a route takes one (a connection Wave cut while a body over the limit was
    // still being sent is a refusal too: the check above allows no other cut).
    const jsonBodyOps = new Set(operations.filter((op) => op.jsonBody).map((op) => `${op.method} ${op.path}`));
    const accepted = answered.filter(
      (a) =>
        jsonBodyOps.has(a.op) &&
        a.answer.status > 0 &&
        a.answer.status < 400 &&
        !a.variant.startsWith('?') &&
        !a.variant.startsWith('unknown and'),
    );
    expect(accepted.map(show)).toEqual([]);
    expect(await fingerprint(wave.dataDir)).toEqual(before);
    expect(await libraryContent(wave.baseUrl)).toEqual(libraryBefore);
    expect(await readdir(join(wave.dataDir, 'tracks')).catch(() => [])).toEqual(uploadsBefore);
    expect(loop.failed).toBe(0);
    expect(suspects.length).toBeLessThanOrEqual(40);
    expect(
      remeasured.filter((r) => r.best >= LOOP_BUDGET_MS).map((r) => `${r.name}: ${r.maxima.map((m) => m.toFixed(0)).join('/')} ms`),
    ).toEqual([]);
  });
});
