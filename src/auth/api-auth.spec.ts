import { describe, expect, it } from 'vitest';
import { AppConfig } from '../config/app-config.js';
import { validateEnvironment } from '../config/env.validation.js';
import { ApiAuth, type Credential } from './api-auth.js';

const TOKEN = 'spec-token-0123456789abcdef';
const bearer = (token: string): Credential => ({ kind: 'header', value: `Bearer ${token}` });

function auth(env: Record<string, string> = {}): ApiAuth {
  return new ApiAuth(new AppConfig(validateEnvironment({ WAVE_API_TOKEN: TOKEN, WAVE_AUTH_FAILURE_LIMIT: '3', ...env })));
}

/** The status each attempt was answered with (200 when it passed). */
async function statuses(subject: ApiAuth, client: string, credentials: Credential[]): Promise<number[]> {
  const out: number[] = [];
  for (const credential of credentials) {
    out.push(
      await subject.authorize(client, credential).then(
        () => 200,
        (error: { getStatus(): number }) => error.getStatus(),
      ),
    );
  }
  return out;
}

describe('ApiAuth', () => {
  it('answers 401 to wrong tokens up to the limit, then 429 (code, retry time) to everything that client sends, the right token too', async () => {
    const subject = auth();
    expect(
      await statuses(subject, '10.0.0.1', [bearer('wrong-1'), bearer('wrong-2'), bearer('wrong-3'), bearer('wrong-4'), bearer(TOKEN)]),
    ).toEqual([401, 401, 401, 429, 429]);
    const refused = await subject.authorize('10.0.0.1', bearer(TOKEN)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'too_many_auth_failures', details: { retryAfterSeconds: expect.any(Number) } });
    expect((refused as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('counts per client address: another client is not refused', async () => {
    const subject = auth();
    await statuses(
      subject,
      '10.0.0.1',
      [1, 2, 3, 4].map((i) => bearer(`wrong-${i}`)),
    );
    expect(await statuses(subject, '10.0.0.2', [bearer(TOKEN), bearer('wrong')])).toEqual([200, 401]);
  });

  it('does not count requests that carry no token at all', async () => {
    const subject = auth();
    const none: Credential = { kind: 'header', value: undefined };
    expect(
      await statuses(
        subject,
        '10.0.0.1',
        Array.from({ length: 10 }, () => none),
      ),
    ).toEqual(Array(10).fill(401));
    expect(await statuses(subject, '10.0.0.1', [bearer(TOKEN)])).toEqual([200]);
  });

  it('counts wrong socket handshake tokens with the HTTP ones', async () => {
    const subject = auth();
    expect(
      await statuses(subject, '10.0.0.1', [
        { kind: 'token', value: 'wrong' },
        { kind: 'token', value: 42 },
        bearer('wrong'),
        { kind: 'token', value: TOKEN },
      ]),
    ).toEqual([401, 401, 401, 200]);
    expect(
      await statuses(subject, '10.0.0.1', [
        { kind: 'token', value: 'wrong' },
        { kind: 'token', value: TOKEN },
      ]),
    ).toEqual([429, 429]);
  });

  it('never refuses with 429 when WAVE_AUTH_FAILURE_LIMIT=0', async () => {
    const subject = auth({ WAVE_AUTH_FAILURE_LIMIT: '0' });
    expect(
      await statuses(
        subject,
        '10.0.0.1',
        Array.from({ length: 20 }, (_, i) => bearer(`wrong-${i}`)),
      ),
    ).toEqual(Array(20).fill(401));
  });

  it('lets everything through when no token is configured', async () => {
    const subject = new ApiAuth(new AppConfig(validateEnvironment({})));
    expect(subject.needsToken('PUT', '/api/stream/rtmp/config')).toBe(false);
    expect(await statuses(subject, '10.0.0.1', [bearer('anything')])).toEqual([200]);
  });

  it('needs the token for writes under /api, and for reads there with WAVE_PROTECT_READS (the docs included)', () => {
    const open = auth();
    expect(open.needsToken('PUT', '/api/stream/rtmp/config')).toBe(true);
    expect(open.needsToken('GET', '/api/docs-json')).toBe(false);
    expect(open.needsToken('POST', '/health')).toBe(false);
    const locked = auth({ WAVE_PROTECT_READS: 'true' });
    expect(locked.needsToken('GET', '/api/docs-json')).toBe(true);
    expect(locked.needsToken('GET', '/api/docs/*')).toBe(true);
    expect(locked.needsToken('GET', '/health/live')).toBe(false);
    expect(locked.needsToken('GET', '/metrics')).toBe(false);
  });
});
