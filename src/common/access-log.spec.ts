import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLog, type AccessLogEntry } from './access-log.js';
import { registerSecret } from './redaction.js';

const entry = (n: number): AccessLogEntry => ({
  method: 'GET',
  route: '/api/tracks/:id',
  path: `/api/tracks/${n}`,
  status: 200,
  durationMs: 1.25,
  requestId: `req-${n}`,
});

describe('AccessLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-access-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON line per request in wave.log’s shape, the path redacted', async () => {
    registerSecret('access-log-secret-value');
    const log = new AccessLog({ logDir: dir, console: false });
    log.request(entry(1));
    log.request({ ...entry(2), path: '/api/x/access-log-secret-value' });
    await log.close();
    const lines = (await readFile(join(dir, 'access.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      level: 'info',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      message: 'request',
      context: 'HTTP',
      ...entry(1),
    });
    expect(lines[1].path).toBe('/api/x/****');
  });

  it('rotates by size into access.log.1 … access.log.5, dropping the oldest lines', async () => {
    const log = new AccessLog({ logDir: dir, console: false, maxSize: '1K' });
    // Each line handed to the file on its own (the log gathers lines for up to 100 ms and writes them as one chunk).
    for (let n = 0; n < 120; n += 1) {
      log.request(entry(n));
      log.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['access.log', 'access.log.1', 'access.log.2', 'access.log.3', 'access.log.4', 'access.log.5']);
    const text = async (name: string) => readFile(join(dir, name), 'utf8');
    // A chunk that reaches the size is written, then the file rotated: the newest line is in access.log or access.log.1.
    expect((await text('access.log.1')) + (await text('access.log'))).toContain('"requestId":"req-119"');
    const all = (await Promise.all(files.map(text))).join('');
    expect(all).not.toContain('"requestId":"req-0"');
  });
});
