import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

/** The one error shape of every Wave response with status ≥ 400. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiPropertyOptional({ description: 'Stable machine-readable reason', example: 'validation_failed' })
  code?: string;

  @ApiProperty({ type: [String], example: ['port must not be greater than 65535'] })
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
  503: 'A required outside system is unavailable',
};

/** Documents the given error statuses with the shared ErrorResponseDto. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorResponseDto })),
  );
}
