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
    const messages = Array.isArray(message) ? message : [message];
    super({ code, message: messages, ...(details ? { details } : {}) }, status);
    // HttpException would otherwise name the class; logs and health details want the reason.
    this.message = messages.join('; ');
  }
}
