import SwaggerParser from '@apidevtools/swagger-parser';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../env/host.js';
import { call, json } from '../env/http.js';
import { makeTempDir } from '../env/index.js';
import { startWave, WaveServer } from '../env/wave-server.js';

const TOKEN = 'e2e-token-0123456789abcdef';
const REDOCLY_CLI = resolve(import.meta.dirname, '../../node_modules/@redocly/cli/bin/cli.js');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

/** Redocly's `recommended` rules on `doc`, run by its CLI from node_modules (its JSON report). */
async function redoclyLint(doc: unknown): Promise<{ totals: { errors: number; warnings: number }; problems: LintProblem[] }> {
  // Its own folder as cwd, so no redocly.yaml around decides the rules: only `--extends recommended` does.
  const dir = await mkdtemp(join(tmpdir(), 'wave-openapi-'));
  try {
    await writeFile(join(dir, 'openapi.json'), JSON.stringify(doc));
    const lint = await runCommand(process.execPath, [REDOCLY_CLI, 'lint', '--extends', 'recommended', '--format', 'json', 'openapi.json'], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
    });
    // It exits 1 when there are errors; the report on stdout says which.
    expect(lint.stdout, lint.stderr).toMatch(/^\s*\{/);
    return JSON.parse(lint.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('Foundation: server, errors, OpenAPI', () => {
  let wave: WaveServer;
  let startedInMs: number;

  beforeAll(async () => {
    const t0 = Date.now();
    wave = await startWave();
    startedInMs = Date.now() - t0;
  });
  afterAll(() => wave?.dispose());

  // Start-up time itself is measured by `npm run bench` (startup); here only a generous bound catches a hang.
  it('serves GET /health 200 soon after starting', async () => {
    const res = await fetch(`${wave.baseUrl}/health`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.status).toBe('ok');
    expect(body.details.dataDir.status).toBe('up');
    expect(startedInMs).toBeLessThan(15_000);
    for (const probe of ['live', 'ready']) expect((await fetch(`${wave.baseUrl}/health/${probe}`)).status).toBe(200);
  });

  it('serves an OpenAPI document that validates, and the UI', async () => {
    const doc = await json(fetch(`${wave.baseUrl}/api/docs-json`));
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    expect(doc.paths['/health']).toBeDefined();
    expect(doc.components.schemas.ErrorResponseDto).toBeDefined();
    // Every operation says what it does, what it answers, and how it fails (in the one error shape).
    for (const [path, operations] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { summary?: string; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>
      >,
    )) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.summary, `${where} has a summary`).toBeTruthy();
        const codes = Object.keys(op.responses).map(Number);
        expect(
          codes.some((c) => c >= 200 && c < 300),
          `${where} documents its success`,
        ).toBe(true);
        const errors = codes.filter((c) => c >= 400);
        expect(errors.length, `${where} documents its errors`).toBeGreaterThan(0);
        for (const c of errors) {
          expect(op.responses[c].content?.['application/json']?.schema?.$ref, `${where} ${c} uses ErrorResponseDto`).toMatch(
            /ErrorResponseDto$/,
          );
        }
      }
    }
    const lint = await redoclyLint(doc);
    const where = (p: LintProblem) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;
    expect(lint.problems.filter((p) => p.severity === 'error').map(where)).toEqual([]);
    expect(lint.totals.errors).toBe(0);
    // The one warning left is by design: the probes and /metrics answer no 4xx (no input, no token, no rate limit).
    for (const p of lint.problems.filter((p) => p.severity === 'warn')) {
      expect(where(p)).toMatch(/^operation-4xx-response at #\/paths\/~1(health(~1live|~1ready)?|metrics)\/get\/responses: /);
    }
    // Two DTO classes of one name would silently share one schema in the document.
    expect(wave.output()).not.toContain('Duplicate DTO');
    const ui = await fetch(`${wave.baseUrl}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('answers an unknown route with the one JSON error shape and a request id', async () => {
    const res = await fetch(`${wave.baseUrl}/api/nope`, { headers: { 'x-request-id': 'trace-42' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(await json(res)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: [expect.stringContaining('/api/nope')],
      requestId: 'trace-42',
    });
  });

  it('answers a PUT with an unknown field or a wrong type with 400 naming the field, and leaves the file as it was', async () => {
    await fetch(`${wave.baseUrl}/api/stream/rtmp/config`); // the document exists from here on
    const file = join(wave.dataDir, 'streaming-config.json');
    const before = await readFile(file, 'utf8');
    const put = (body: unknown) =>
      fetch(`${wave.baseUrl}/api/stream/rtmp/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await put({ bogusField: 1 });
    expect(unknown.status).toBe(400);
    const unknownBody = await json(unknown);
    expect(unknownBody).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(unknownBody.message).toContain('property bogusField should not exist');
    const wrongType = await put({ rtmpPort: 'not-a-port' });
    expect(wrongType.status).toBe(400);
    expect((await json(wrongType)).message).toContain('rtmpPort must be an integer number');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('sends security headers and refuses a body over the limit with 413 JSON', async () => {
    const health = await fetch(`${wave.baseUrl}/health`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const res = await fetch(`${wave.baseUrl}/api/stream/rtmp/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    const body = await json(res);
    expect(body.statusCode).toBe(413);
    expect(Array.isArray(body.message)).toBe(true);
  });

  it('writes one JSON line per request to LOG_DIR/access.log, none to wave.log', async () => {
    await fetch(`${wave.baseUrl}/health/live`, { headers: { 'x-request-id': 'log-line-check' } });
    await expect.poll(() => readFile(join(wave.logDir, 'access.log'), 'utf8'), { timeout: 5000, interval: 50 }).toContain('log-line-check');
    const lines = (await readFile(join(wave.logDir, 'access.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const entry = lines.find((l) => l.requestId === 'log-line-check');
    expect(entry).toMatchObject({ method: 'GET', route: '/health/live', status: 200, requestId: 'log-line-check' });
    expect(typeof entry.durationMs).toBe('number');
    expect(await readFile(join(wave.logDir, 'wave.log'), 'utf8')).not.toContain('log-line-check');
  });
});

describe('Foundation: a failing health probe', () => {
  let wave: WaveServer;
  beforeAll(async () => {
    // An engine socket that does not exist: the readiness probe's docker indicator is down.
    wave = await startWave({ env: { DOCKER_HOST: `unix://${join(tmpdir(), 'wave-no-such-dir', 'docker.sock')}` } });
  });
  afterAll(() => wave?.dispose());

  it("answers 503 in the one error shape, with terminus' result and a code for each failing indicator", async () => {
    const res = await fetch(`${wave.baseUrl}/health/ready`, { headers: { 'x-request-id': 'ready-probe' } });
    expect(res.status).toBe(503);
    const body = await json(res);
    const docker = { status: 'down', code: 'docker_unavailable', message: expect.stringContaining('Docker engine is unreachable') };
    const up = expect.objectContaining({ status: 'up' });
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'health_check_failed',
      message: [expect.stringMatching(/^docker: Docker engine is unreachable at unix:\/\/.*wave-no-such-dir/)],
      requestId: 'ready-probe',
      details: {
        status: 'error',
        info: { dataDir: up, disk: up, pm2: up, database: up },
        error: { docker },
        details: { dataDir: up, disk: up, pm2: up, database: up, docker },
      },
    });
    // Wave itself is healthy and alive without an engine.
    expect((await fetch(`${wave.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${wave.baseUrl}/health/live`)).status).toBe(200);
  });

  it('documents that 503 shape for the three probes', async () => {
    const doc = await json(fetch(`${wave.baseUrl}/api/docs-json`));
    for (const path of ['/health', '/health/live', '/health/ready']) {
      expect(doc.paths[path].get.responses['503'].content['application/json'].schema.$ref, path).toBe(
        '#/components/schemas/HealthCheckErrorResponseDto',
      );
    }
    const schema = doc.components.schemas.HealthCheckErrorResponseDto;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'code', 'message', 'requestId', 'details']),
    );
    const result = doc.components.schemas[schema.properties.details.$ref.split('/').pop()];
    expect(Object.keys(result.properties)).toEqual(expect.arrayContaining(['status', 'info', 'error', 'details']));
  });
});

describe('Foundation: API token', () => {
  let wave: WaveServer;
  beforeAll(async () => {
    wave = await startWave({ env: { WAVE_API_TOKEN: TOKEN, CORS_ORIGINS: 'http://admin.example' } });
  });
  afterAll(() => wave?.dispose());

  const put = (headers: Record<string, string>) =>
    fetch(`${wave.baseUrl}/api/stream/rtmp/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ bogusField: 1 }),
    });

  it('refuses a mutating request without or with a wrong token (401), lets the right one through', async () => {
    const missing = await put({});
    expect(missing.status).toBe(401);
    expect((await json(missing)).code).toBe('unauthorized');
    expect((await put({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const ok = await put({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).not.toBe(401);
  });

  it('decides by the route the request reaches, not by how its URL is spelled', async () => {
    // The router decodes `%61` to `a`, so this reaches PUT /api/stream/rtmp/config.
    const encoded = await fetch(`${wave.baseUrl}/%61pi/stream/rtmp/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxConnections: 7 }),
    });
    expect(encoded.status).toBe(401);
  });

  it('keeps reads and health probes open', async () => {
    expect((await fetch(`${wave.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${wave.baseUrl}/api/stream/rtmp/config`)).status).toBe(200);
  });

  it('allows the configured CORS origin', async () => {
    const res = await fetch(`${wave.baseUrl}/health`, { headers: { origin: 'http://admin.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://admin.example');
    const other = await fetch(`${wave.baseUrl}/health`, { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never writes the token or a stream key to wave.log or access.log', async () => {
    await put({ authorization: `Bearer ${TOKEN}` });
    await fetch(`${wave.baseUrl}/api/stream/telegram/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-request-id': 'secret-carrying-put' },
      body: JSON.stringify({ streamKey: '1234567890:SecretStreamKeyValue-xyz' }),
    });
    // Its request line is the last thing written for it: from then on the logs hold all they ever will.
    await expect
      .poll(() => readFile(join(wave.logDir, 'access.log'), 'utf8'), { timeout: 5000, interval: 50 })
      .toContain('secret-carrying-put');
    for (const file of ['wave.log', 'access.log']) {
      const log = await readFile(join(wave.logDir, file), 'utf8');
      expect(log, file).not.toContain(TOKEN);
      expect(log, file).not.toContain('SecretStreamKeyValue');
    }
    expect(wave.output()).not.toContain(TOKEN);
  });

  it('rate-limits writes (429 in the one error shape) and never reads', async () => {
    const limited = await startWave({ env: { WAVE_RATE_LIMIT: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(limited, 'PUT', '/api/stream/rtmp/config', { bogusField: i })).status);
      expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      const refused = await call(limited, 'PUT', '/api/stream/rtmp/config', {});
      expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      for (let i = 0; i < 10; i++) expect((await fetch(`${limited.baseUrl}/api/stream/rtmp/config`)).status).toBe(200);
    } finally {
      await limited.dispose();
    }
  });

  it('protects reads too when WAVE_PROTECT_READS=true', async () => {
    const locked = await startWave({ env: { WAVE_API_TOKEN: TOKEN, WAVE_PROTECT_READS: 'true' } });
    try {
      expect((await fetch(`${locked.baseUrl}/api/stream/rtmp/config`)).status).toBe(401);
      const ok = await fetch(`${locked.baseUrl}/api/stream/rtmp/config`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect((await fetch(`${locked.baseUrl}/health`)).status).toBe(200);
    } finally {
      await locked.dispose();
    }
  });
});

describe('Foundation: process lifecycle and data files', () => {
  it('exits non-zero with one line naming a bad variable', async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../../dist/main.js')], {
      env: { ...process.env, PORT: '70000', LOG_DIR: await makeTempDir('bad-env-logs') },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/PORT.*65535/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const wave = await startWave();
    const t0 = Date.now();
    expect(await wave.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(wave.output()).toMatch(/SIGTERM received/);
    await wave.dispose();
  });

  it('moves a corrupt data file aside at boot and starts with defaults', async () => {
    const dataDir = await makeTempDir('corrupt-data');
    await writeFile(join(dataDir, 'streaming-config.json'), '{ "rtmp": { "port": ');
    const wave = await startWave({ dataDir });
    try {
      const files = await readdir(dataDir);
      expect(files.some((f) => f.startsWith('streaming-config.json.corrupt-'))).toBe(true);
      expect(JSON.parse(await readFile(join(dataDir, 'streaming-config.json'), 'utf8'))).toBeTypeOf('object');
      expect((await fetch(`${wave.baseUrl}/api/stream/rtmp/config`)).status).toBe(200);
      expect(await readFile(join(wave.logDir, 'wave.log'), 'utf8')).toMatch(/streaming-config\.json is unreadable/);
    } finally {
      await wave.dispose();
    }
  });
});
