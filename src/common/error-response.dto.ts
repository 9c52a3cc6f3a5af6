import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';

/** The one error shape of every Wave response with status ≥ 400. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiPropertyOptional({ description: 'Stable machine-readable reason', example: 'validation_failed' })
  code?: string;

  @ApiProperty({ type: [String], example: ['rtmpPort must not be greater than 65535'] })
  message!: string[];

  @ApiProperty({ description: 'Also sent as the x-request-id header', example: '3f0c6d1e-5b7a-4c55-9a39-0f0a1b2c3d4e' })
  requestId!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Extra facts about the error' })
  details?: Record<string, unknown>;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `message` names each bad field',
  401: 'Missing or wrong bearer token (when WAVE_API_TOKEN is set)',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Unexpected error (see the server log by request id)',
  502: 'An outside system failed',
  503: 'A required outside system is unavailable, or busy; or (several instances) no instance leads the station right now (`no_leader`, `leader_unreachable`, with Retry-After): nothing was done, send it again',
  504: 'An outside system did not answer in time (e.g. `docker_timeout`: the Docker engine is hung)',
  507: 'The disk holding DATA_DIR is full; nothing was changed',
};

/** Documents the given error statuses with the shared ErrorResponseDto. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorResponseDto })),
  );
}

const MUTATING = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Adds the errors every route can answer, decided by global guards rather than by each handler:
 * 401 under /api (writes need the token; reads too with WAVE_PROTECT_READS), 429 on writes (rate limit), 507 on
 * writes under /api (any of them may save a data file on a full disk), 503 on them too (`document_busy`: another
 * instance on the same DATA_DIR holds the document's lock; `database_busy`; `no_leader` while instances elect one), 500.
 */
export function documentSharedErrors(document: OpenAPIObject): OpenAPIObject {
  const shared = (status: number) => ({
    description: DESCRIPTIONS[status],
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } },
  });
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations) as Array<[string, { responses?: Record<string, unknown> }]>) {
      if (!operation?.responses) continue;
      if (path.startsWith('/api/')) operation.responses['401'] ??= shared(401);
      if (MUTATING.has(method)) operation.responses['429'] ??= shared(429);
      if (MUTATING.has(method) && path.startsWith('/api/')) operation.responses['507'] ??= shared(507);
      if (MUTATING.has(method) && path.startsWith('/api/')) operation.responses['503'] ??= shared(503);
      operation.responses['500'] ??= shared(500);
    }
  }
  return document;
}
