import { Global, Injectable, Logger, Module } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { WaveError } from '../common/wave-error.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Wrong tokens are counted per client over this window; a client over the limit is refused for as long. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
export const AUTH_FAILURE_BLOCK_SECONDS = 60;

/** True when `given` equals `expected`, compared in constant time (hashes hide the length too). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What a caller presents: an HTTP `Authorization` header, or a socket handshake's `auth.token`. */
export type Credential = { kind: 'header'; value: string | undefined } | { kind: 'token'; value: unknown };

/**
 * The one place WAVE_API_TOKEN is checked: HTTP routes (the guard), the API docs (a hook) and the `/admin`
 * socket handshake. Wrong tokens are rate-limited per client address (WAVE_AUTH_FAILURE_LIMIT per minute,
 * rate-limiter-flexible): past the limit, every request of that client that needs the token is refused with
 * 429 for a minute, the right token included, so a guess cannot be confirmed at full speed while blocked.
 * A request without any token is not counted: it tries nothing, and a browser's stray reads must not lock
 * the operator out.
 */
@Injectable()
export class ApiAuth {
  private readonly logger = new Logger(ApiAuth.name);
  private readonly failures?: RateLimiterMemory;

  constructor(private readonly config: AppConfig) {
    if (config.authFailureLimit > 0) {
      this.failures = new RateLimiterMemory({
        keyPrefix: 'auth-failures',
        points: config.authFailureLimit,
        duration: AUTH_FAILURE_WINDOW_SECONDS,
        blockDuration: AUTH_FAILURE_BLOCK_SECONDS,
      });
    }
  }

  get enabled(): boolean {
    return Boolean(this.config.apiToken);
  }

  /** Whether a request to the matched `route` needs the token: writes under /api, and reads with WAVE_PROTECT_READS. */
  needsToken(method: string, route: string | undefined): boolean {
    if (!this.enabled) return false;
    // The matched route, not the raw URL: the router decodes `/%61pi/…` to `/api/…`, a prefix test on the URL would not.
    if (route !== undefined && !route.startsWith('/api/') && route !== '/api') return false;
    return !READ_METHODS.has(method) || this.config.protectReads;
  }

  /** An HTTP request to a route that needs the token: passes, or throws 401 / 429 (with Retry-After). */
  async authorizeRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.needsToken(request.method, request.routeOptions.url)) return;
    try {
      await this.authorize(request.ip, { kind: 'header', value: request.headers.authorization });
    } catch (error) {
      if (error instanceof WaveError && error.getStatus() === 429)
        void reply.header('retry-after', String(error.details?.retryAfterSeconds));
      throw error;
    }
  }

  /** Resolves when `credential` carries the token; else throws 401 unauthorized, or 429 too_many_auth_failures. */
  async authorize(client: string, credential: Credential): Promise<void> {
    const expected = this.config.apiToken;
    if (!expected) return;
    const blocked = await this.failures?.get(client);
    if (this.failures && blocked && blocked.consumedPoints > this.failures.points) throw this.tooMany(blocked);

    const given = credential.kind === 'header' ? bearerToken(credential.value) : credential.value;
    if (typeof given === 'string' && tokensMatch(given, expected)) return;
    if (credential.value !== undefined && this.failures) {
      try {
        await this.failures.consume(client);
      } catch (result) {
        if (!(result instanceof RateLimiterRes)) throw result;
        if (result.consumedPoints === this.failures.points + 1) {
          this.logger.warn(
            `${client}: ${this.failures.points} wrong tokens within ${AUTH_FAILURE_WINDOW_SECONDS} s; refusing it for ${AUTH_FAILURE_BLOCK_SECONDS} s`,
          );
        }
        throw this.tooMany(result);
      }
    }
    throw new WaveError(401, 'unauthorized', 'A valid `Authorization: Bearer <WAVE_API_TOKEN>` header is required');
  }

  private tooMany(result: RateLimiterRes): WaveError {
    const retryAfterSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
    return new WaveError(429, 'too_many_auth_failures', `Too many wrong tokens from this client: try again in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1].trim();
}

/** Global: the guard, the docs hook and the `/admin` gateway share one count of wrong tokens. */
@Global()
@Module({ providers: [ApiAuth], exports: [ApiAuth] })
export class ApiAuthModule {}
