import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  DiskHealthIndicator,
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { RecentResult } from '../common/recent-result.js';
import { AppConfig } from '../config/app-config.js';
import { DataDirHealthIndicator } from './data-dir.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HealthCheckErrorResponseDto, HealthIndicatorStateDto } from './dto/health-check.dto.js';
import { toHealthCheckFailure, withDownCode } from './health-check-failure.js';
import { Pm2HealthIndicator } from './pm2.health.js';
import { DockerHealthIndicator } from './docker.health.js';

const HEAP_LIMIT_BYTES = 512 * 1024 * 1024;
/** Ready while the disk holding DATA_DIR is less than this full. */
const DISK_THRESHOLD = 0.95;

const healthExample = (indicators: string[]) => {
  const up = Object.fromEntries(indicators.map((name) => [name, { status: 'up' }]));
  return { status: 'ok', info: up, error: {}, details: up };
};
const HEALTH_EXAMPLE = healthExample(['dataDir', 'disk', 'pm2', 'database', 'heap']);
const READY_EXAMPLE = healthExample(['dataDir', 'disk', 'pm2', 'database', 'docker']);

/** A 503 example: `failing` is down, the other indicators up. */
const failureExample = (indicators: string[], failing: string, state: { code: string; message: string }) => {
  const states = Object.fromEntries(indicators.map((name) => [name, name === failing ? { status: 'down', ...state } : { status: 'up' }]));
  const { [failing]: down, ...up } = states;
  return {
    statusCode: 503,
    error: 'Service Unavailable',
    code: 'health_check_failed',
    message: [`${failing}: ${state.message}`],
    requestId: '3f0c6d1e-5b7a-4c55-9a39-0f0a1b2c3d4e',
    details: { status: 'error', info: up, error: { [failing]: down }, details: states },
  };
};
const HEAP_DOWN = { code: 'heap_over_limit', message: 'Used heap exceeded the set threshold' };
const PM2_DOWN = { code: 'pm2_not_answering', message: 'PM2 did not answer within 3 s' };
const DOCKER_DOWN = {
  code: 'docker_unavailable',
  message: 'Docker engine is unreachable at unix:///var/run/docker.sock: connect ENOENT /var/run/docker.sock',
};

/** Terminus probes for operators and orchestrators; never behind the API token. */
@ApiTags('health')
// Referenced only from inside a schema (the indicator maps), so not found by the scan on its own.
@ApiExtraModels(HealthIndicatorStateDto)
@SkipThrottle()
@Controller('health')
export class HealthController {
  // Concurrent probes join the check in flight instead of each writing to DATA_DIR, running `df` and
  // pinging PM2/Docker; every answer still comes from a check running when it was asked for (not cached).
  private readonly overall = new RecentResult(0, () => this.probe([...this.readinessChecks(), () => this.heap()]));
  private readonly liveness = new RecentResult(0, () => this.probe([() => this.heap()]));
  // Docker only here: Wave itself is healthy without an engine, it just cannot run the ingest.
  private readonly readiness = new RecentResult(0, () => this.probe([...this.readinessChecks(), () => this.docker.isReachable('docker')]));

  constructor(
    private readonly health: HealthCheckService,
    private readonly config: AppConfig,
    private readonly dataDir: DataDirHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly docker: DockerHealthIndicator,
    private readonly pm2: Pm2HealthIndicator,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Overall health: every indicator (200 when all are up, 503 otherwise)' })
  @ApiOkResponse({ description: 'All indicators up', schema: { example: HEALTH_EXAMPLE } })
  @ApiServiceUnavailableResponse({
    description: 'At least one indicator down',
    type: HealthCheckErrorResponseDto,
    example: failureExample(['dataDir', 'disk', 'pm2', 'database', 'heap'], 'pm2', PM2_DOWN),
  })
  check() {
    return this.overall.get();
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process answers and its heap is bounded' })
  @ApiOkResponse({ description: 'Alive', schema: { example: healthExample(['heap']) } })
  @ApiServiceUnavailableResponse({
    description: 'Heap over its limit',
    type: HealthCheckErrorResponseDto,
    example: failureExample(['heap'], 'heap', HEAP_DOWN),
  })
  live() {
    return this.liveness.get();
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: data dir writable, disk free, outside systems (PM2, the database, Docker) reachable' })
  @ApiOkResponse({ description: 'Ready', schema: { example: READY_EXAMPLE } })
  @ApiServiceUnavailableResponse({
    description: 'Not ready',
    type: HealthCheckErrorResponseDto,
    example: failureExample(['dataDir', 'disk', 'pm2', 'database', 'docker'], 'docker', DOCKER_DOWN),
  })
  ready() {
    return this.readiness.get();
  }

  /** Runs the check; a failing one answers in the one error shape (see toHealthCheckFailure). */
  private async probe(indicators: HealthIndicatorFunction[]) {
    try {
      return await this.health.check(indicators);
    } catch (error) {
      throw toHealthCheckFailure(error);
    }
  }

  private readinessChecks() {
    return [
      () => this.dataDir.isWritable('dataDir'),
      () => withDownCode(this.disk.checkStorage('disk', { path: this.config.dataDir, thresholdPercent: DISK_THRESHOLD }), 'disk_full'),
      () => this.pm2.isResponsive('pm2'),
      () => this.database.isAnswering('database'),
    ];
  }

  private heap() {
    return withDownCode(this.memory.checkHeap('heap', HEAP_LIMIT_BYTES), HEAP_DOWN.code);
  }
}
