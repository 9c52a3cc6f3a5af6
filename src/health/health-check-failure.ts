import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { WaveError } from '../common/wave-error.js';

/**
 * Gives the down states of an indicator that names no reason itself (terminus' own, e.g. disk and heap,
 * each down for one reason only) the stable `code` every failing indicator carries.
 */
export async function withDownCode(result: PromiseLike<HealthIndicatorResult>, code: string): Promise<HealthIndicatorResult> {
  const states = await result;
  for (const state of Object.values(states)) {
    if (state.status === 'down' && typeof state.code !== 'string') state.code = code;
  }
  return states;
}

/**
 * Terminus answers a failing check with a 503 whose body is its bare result (no `code`, and a `message`
 * the error filter can only guess). This turns it into a WaveError in the one error shape: `code`
 * `health_check_failed` (`shutting_down` while Wave stops), one message per failing indicator, and the
 * result itself as `details`. Anything else is returned as it is.
 */
export function toHealthCheckFailure(exception: unknown): unknown {
  if (!(exception instanceof ServiceUnavailableException)) return exception;
  const result = exception.getResponse();
  if (!isHealthCheckResult(result)) return exception;
  if (result.status === 'shutting_down') return new WaveError(503, 'shutting_down', 'Wave is shutting down', result);
  const failing = Object.entries(result.error ?? {});
  const messages = failing.map(([name, state]) => `${name}: ${typeof state?.message === 'string' ? state.message : 'down'}`);
  return new WaveError(503, 'health_check_failed', messages.length > 0 ? messages : ['Health check failed'], result);
}

function isHealthCheckResult(value: unknown): value is HealthCheckResult {
  const { status, details } = (value ?? {}) as Partial<HealthCheckResult>;
  return typeof status === 'string' && typeof details === 'object' && details !== null;
}
