import { ApiProperty, ApiPropertyOptional, getSchemaPath, OmitType } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';

/** One indicator's state; it may carry more facts (e.g. `path`, `version`, `daemon`). */
export class HealthIndicatorStateDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'down' })
  status!: 'up' | 'down';

  @ApiPropertyOptional({
    description:
      'Why it is down (stable): `data_dir_not_writable`, `disk_full`, `pm2_not_answering`, `database_unavailable`, `docker_unavailable`, `heap_over_limit`',
    example: 'docker_unavailable',
  })
  code?: string;

  @ApiPropertyOptional({ example: 'Docker engine is unreachable at unix:///var/run/docker.sock: connect ENOENT /var/run/docker.sock' })
  message?: string;
}

const INDICATORS = {
  type: 'object',
  additionalProperties: { $ref: getSchemaPath(HealthIndicatorStateDto) },
} as const;

/** Terminus' result of a check, as it is. */
export class HealthCheckResultDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'error' })
  status!: string;

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are up, by name' })
  info!: Record<string, HealthIndicatorStateDto>;

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are down, by name, each with its `code`' })
  error!: Record<string, HealthIndicatorStateDto>;

  @ApiProperty({ ...INDICATORS, description: 'Every indicator, by name' })
  details!: Record<string, HealthIndicatorStateDto>;
}

/**
 * A failing probe (503) in the one error shape: `code` `health_check_failed` (`shutting_down` while Wave
 * stops), a `message` per failing indicator (`docker: …`), and terminus' result under `details`.
 */
export class HealthCheckErrorResponseDto extends OmitType(ErrorResponseDto, ['details'] as const) {
  @ApiProperty({ type: HealthCheckResultDto })
  details!: HealthCheckResultDto;
}
