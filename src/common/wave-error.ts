import { HttpException } from '@nestjs/common';

/**
 * A failure Wave explains to its caller: an HTTP status, a stable machine-readable `code`
 * (e.g. `docker_unavailable`, `port_in_use`) and human-readable messages.
 */
export class WaveError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string | string[],
    readonly details?: Record<string, unknown>,
  ) {
    super({ code, message: Array.isArray(message) ? message : [message], ...(details ? { details } : {}) }, status);
  }
}
