import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { WaveEvents } from '../bus/wave-events.js';

/** Turns every error into the one shape `{ statusCode, error, code?, message[], requestId }`. */
@Catch()
@Injectable()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(private readonly events: WaveEvents) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const requestId = String(request.id);

    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown> = { message: ['Internal server error'] };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      body = typeof response === 'string' ? { message: [response] } : { ...(response as Record<string, unknown>) };
      if (!Array.isArray(body.message)) body.message = [typeof body.message === 'string' ? body.message : exception.message];
    } else if (isFastifyError(exception)) {
      // Fastify's own rejections (body too large, bad JSON, bad content type) keep their status.
      status = exception.statusCode;
      body = { code: exception.code.toLowerCase(), message: [exception.message] };
    }
    if (status >= 500) {
      this.logger.error({ message: `${request.method} ${request.url} failed`, requestId, error: exception });
      this.events.emit('wave.error', {
        status,
        code: typeof body.code === 'string' ? body.code : 'internal_error',
        message: (body.message as string[]).join('; '),
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        requestId,
        at: new Date().toISOString(),
      });
    }
    const { statusCode: _ignored, error: _error, ...rest } = body;
    void reply.status(status).send({
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      ...rest,
      requestId,
    });
  }
}

/**
 * Fastify's and its plugins' request errors (`FST_…` codes). Other libraries' errors carry a statusCode
 * too (dockerode: the engine's 404/409), but that is about their call, not the caller's request: 500.
 */
function isFastifyError(e: unknown): e is { statusCode: number; code: string; message: string } {
  const { statusCode, code } = (e ?? {}) as { statusCode?: unknown; code?: unknown };
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}
