import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { WaveError } from './wave-error.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when `given` equals `expected`, compared in constant time (hashes hide the length too). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * When WAVE_API_TOKEN is set, every request that changes state under /api needs
 * `Authorization: Bearer <token>`; reads too when WAVE_PROTECT_READS=true. /health* is always open.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const token = this.config.apiToken;
    if (!token || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // The matched route, not the raw URL: the router decodes `/%61pi/…` to `/api/…`, a prefix test on the URL would not.
    const route = request.routeOptions.url;
    if (route !== undefined && !route.startsWith('/api/') && route !== '/api') return true;
    if (READ_METHODS.has(request.method) && !this.config.protectReads) return true;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && tokensMatch(match[1].trim(), token)) return true;
    throw new WaveError(401, 'unauthorized', 'A valid `Authorization: Bearer <WAVE_API_TOKEN>` header is required');
  }
}
