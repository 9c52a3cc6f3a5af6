import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it('gives the headers helmet itself sets for the same options', () => {
    const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'] } } };
    const set: Record<string, string> = {};
    helmet(options)(
      {} as never,
      { setHeader: (k: string, v: string) => (set[k.toLowerCase()] = v), removeHeader: () => undefined } as never,
      () => undefined,
    );
    const headers = securityHeaders(options);
    expect(headers).toEqual(set);
    expect(headers['content-security-policy']).toContain("img-src 'self' data:");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  });

  it('refuses options helmet refuses', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } })).toThrow(/self/);
  });
});
