import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { WaveError } from './wave-error.js';

const emitted: Array<{ name: string; payload: unknown }> = [];
let ctx: TestService<AllExceptionsFilter>;
beforeAll(async () => {
  ctx = await newTestService(AllExceptionsFilter);
  ctx.get(EventEmitter2).onAny((name, payload) => emitted.push({ name: String(name), payload }));
});
afterAll(() => ctx.close());

/** What the filter answers for `exception`: status and body. */
function answer(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent = { status: 0, body: {} as Record<string, unknown> };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  // Nest's own host of an HTTP call: [request, reply].
  const request = { id: 'req-1', method: 'PUT', url: '/api/x?y=1', routeOptions: { url: '/api/x' } };
  const host = new ExecutionContextHost([request, reply]);
  ctx.sut.catch(exception, host);
  return sent;
}

describe('AllExceptionsFilter', () => {
  it('answers a WaveError in the one shape with its code', () => {
    expect(answer(new WaveError(409, 'port_in_use', 'Port 1935 is already in use'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', code: 'port_in_use', message: ['Port 1935 is already in use'], requestId: 'req-1' },
    });
  });

  it("keeps the status of Fastify's own request errors", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(answer(tooLarge)).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'fst_err_ctp_body_too_large',
        message: ['Request body is too large'],
        requestId: 'req-1',
      },
    });
  });

  it("answers another library's error that carries a 4xx statusCode as 500, without its text", () => {
    const fromDocker = Object.assign(
      new Error('(HTTP code 409) unexpected - Conflict. The container name "/wave-rtmp" is already in use'),
      { statusCode: 409 },
    );
    expect(answer(fromDocker)).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: ['Internal server error'], requestId: 'req-1' },
    });
  });

  it("raises wave.error for failures on Wave's side (≥ 500) only", () => {
    emitted.length = 0;
    answer(new WaveError(400, 'invalid', 'bad'));
    expect(emitted).toEqual([]);
    answer(new WaveError(503, 'docker_unavailable', 'Docker engine is unreachable'));
    expect(emitted).toEqual([
      {
        name: 'wave.error',
        payload: {
          status: 503,
          code: 'docker_unavailable',
          message: 'Docker engine is unreachable',
          method: 'PUT',
          route: '/api/x',
          requestId: 'req-1',
          at: expect.any(String),
        },
      },
    ]);
    answer(new Error('boom'));
    expect(emitted[1]).toMatchObject({
      name: 'wave.error',
      payload: { status: 500, code: 'internal_error', message: 'Internal server error' },
    });
  });
});
