import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PASS = Promise.resolve(true);

/** Rate-limits only requests that change state; reads and health probes are never throttled. */
@Injectable()
export class MutationThrottlerGuard extends ThrottlerGuard {
  // A read passes at once, without the throttler's promise chain: this runs for every request.
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() === 'http' && READ_METHODS.has(context.switchToHttp().getRequest<FastifyRequest>().method)) return PASS;
    return super.canActivate(context);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const { method } = context.switchToHttp().getRequest<FastifyRequest>();
    return READ_METHODS.has(method) || super.shouldSkip(context);
  }
}
