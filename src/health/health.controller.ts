import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DiskHealthIndicator, HealthCheck, HealthCheckService, MemoryHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { RecentResult } from '../common/recent-result.js';
import { AppConfig } from '../config/app-config.js';
import { DataDirHealthIndicator } from './data-dir.health.js';
import { Pm2HealthIndicator } from './pm2.health.js';
import { DockerHealthIndicator } from '../rtmp/docker.health.js';

const HEAP_LIMIT_BYTES = 512 * 1024 * 1024;
/** Ready while the disk holding DATA_DIR is less than this full. */
const DISK_THRESHOLD = 0.95;

const healthExample = (indicators: string[]) => {
  const up = Object.fromEntries(indicators.map((name) => [name, { status: 'up' }]));
  return { status: 'ok', info: up, error: {}, details: up };
};
const HEALTH_EXAMPLE = healthExample(['dataDir', 'disk', 'pm2', 'heap']);
const READY_EXAMPLE = healthExample(['dataDir', 'disk', 'pm2', 'docker']);

/** Terminus probes for operators and orchestrators; never behind the API token. */
@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  // Concurrent probes join the check in flight instead of each writing to DATA_DIR, running `df` and
  // pinging PM2/Docker; every answer still comes from a check running when it was asked for (not cached).
  private readonly overall = new RecentResult(0, () =>
    this.health.check([...this.readinessChecks(), () => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES)]),
  );
  private readonly liveness = new RecentResult(0, () => this.health.check([() => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES)]));
  // Docker only here: Wave itself is healthy without an engine, it just cannot run the ingest.
  private readonly readiness = new RecentResult(0, () => this.health.check([...this.readinessChecks(), () => this.docker.isReachable('docker')]));

  constructor(
    private readonly health: HealthCheckService,
    private readonly config: AppConfig,
    private readonly dataDir: DataDirHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly docker: DockerHealthIndicator,
    private readonly pm2: Pm2HealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Overall health: every indicator (200 when all are up, 503 otherwise)' })
  @ApiOkResponse({ description: 'All indicators up', schema: { example: HEALTH_EXAMPLE } })
  @ApiServiceUnavailableResponse({ description: 'At least one indicator down', schema: { example: { ...HEALTH_EXAMPLE, status: 'error' } } })
  check() {
    return this.overall.get();
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process answers and its heap is bounded' })
  @ApiOkResponse({ description: 'Alive', schema: { example: healthExample(['heap']) } })
  @ApiServiceUnavailableResponse({ description: 'Heap over its limit' })
  live() {
    return this.liveness.get();
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: data dir writable, disk free, outside systems reachable' })
  @ApiOkResponse({ description: 'Ready', schema: { example: READY_EXAMPLE } })
  @ApiServiceUnavailableResponse({ description: 'Not ready' })
  ready() {
    return this.readiness.get();
  }

  private readinessChecks() {
    return [
      () => this.dataDir.isWritable('dataDir'),
      () => this.disk.checkStorage('disk', { path: this.config.dataDir, thresholdPercent: DISK_THRESHOLD }),
      () => this.pm2.isResponsive('pm2'),
    ];
  }
}
