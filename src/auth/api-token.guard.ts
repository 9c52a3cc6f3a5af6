import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiAuth } from './api-auth.js';

export { tokensMatch } from './api-auth.js';

/**
 * When WAVE_API_TOKEN is set, every request that changes state under /api needs
 * `Authorization: Bearer <token>`; reads too when WAVE_PROTECT_READS=true. /health* is always open.
 * Wrong tokens are rate-limited per client (see ApiAuth).
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(private readonly auth: ApiAuth) {}

  // Synchronous when no token is needed (most reads): Nest awaits a guard only when it returns a promise.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!this.auth.needsToken(request.method, request.routeOptions.url)) return true;
    return this.auth.authorizeRequest(request, http.getResponse<FastifyReply>()).then(() => true);
  }
}
