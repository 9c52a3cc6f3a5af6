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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.auth.enabled || context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    await this.auth.authorizeRequest(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }
}
