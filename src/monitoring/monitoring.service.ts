import { Injectable } from '@nestjs/common';
import os from 'node:os';
import { AppConfig } from '../config/app-config.js';
import type { LogService } from '../contracts/socket-events.js';
import { DockerRepository } from '../repositories/docker.repository.js';
import { Pm2Repository } from '../repositories/pm2.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { SocketAudience } from '../streaming/socket-audience.js';
import { StreamingStatusService } from '../streaming/streaming-status.service.js';
import type { EngineStateDto, LogsDto, MetricsSummaryDto, ServicesDto, SystemInfoDto } from './dto/monitoring.dto.js';
import { LOG_FILE_NAMES, LogFiles } from './log-files.service.js';
import { MetricsService } from './metrics.service.js';

@Injectable()
export class MonitoringService {
  constructor(
    private readonly config: AppConfig,
    private readonly status: StreamingStatusService,
    private readonly docker: DockerRepository,
    private readonly pm2: Pm2Repository,
    private readonly storage: StorageRepository,
    private readonly logFiles: LogFiles,
    private readonly metrics: MetricsService,
    private readonly audience: SocketAudience,
  ) {}

  async system(): Promise<SystemInfoDto> {
    const disk = await this.storage.diskUsage(this.config.dataDir);
    const memory = process.memoryUsage();
    const total = os.totalmem();
    const free = os.freemem();
    return {
      hostname: os.hostname(),
      platform: os.platform(),
      uptimeSeconds: os.uptime(),
      cpu: { cores: os.availableParallelism(), loadAverage: os.loadavg() },
      memory: { totalBytes: total, freeBytes: free, usedBytes: total - free },
      disk: { path: this.config.dataDir, ...disk },
      process: {
        pid: process.pid,
        nodeVersion: process.version,
        uptimeSeconds: process.uptime(),
        memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal },
      },
      at: new Date().toISOString(),
    };
  }

  async services(): Promise<ServicesDto> {
    const [status, docker, pm2] = await Promise.all([this.status.current(), this.dockerState(), this.pm2State()]);
    return { rtmp: status.rtmp, telegram: status.telegram, destinations: status.destinations, docker, pm2, at: new Date().toISOString() };
  }

  /** Up while the engine answers (detail: its version): the same probe as health's `docker`. */
  private async dockerState(): Promise<EngineStateDto> {
    const { up, detail } = await this.docker.probe();
    return { state: up ? 'up' : 'down', detail };
  }

  /** Up while a PM2 daemon answers (Wave does not launch one just to look): the same probe as health's `pm2`. */
  private async pm2State(): Promise<EngineStateDto> {
    const probe = await this.pm2.probe();
    if (probe.daemon === 'running') return { state: 'up', detail: null };
    return {
      state: 'down',
      detail: probe.daemon === 'not running' ? 'no PM2 daemon answers (it starts with the Telegram stream)' : probe.message,
    };
  }

  async logs(service: LogService, lines: number): Promise<LogsDto> {
    return { service, file: LOG_FILE_NAMES[service], lines: await this.logFiles.tail(service, lines) };
  }

  async summary(): Promise<MetricsSummaryDto> {
    const [durations, trackChanges, reconnects] = await Promise.all([
      this.metrics.httpDuration.get(),
      this.metrics.trackChanges.get(),
      this.metrics.streamReconnects.get(),
    ]);
    let requests = 0;
    let serverErrors = 0;
    let seconds = 0;
    for (const value of durations.values) {
      if (value.metricName === 'wave_http_request_duration_seconds_count') {
        requests += value.value;
        if (String(value.labels.status_code).startsWith('5')) serverErrors += value.value;
      } else if (value.metricName === 'wave_http_request_duration_seconds_sum') {
        seconds += value.value;
      }
    }
    const cpu = process.cpuUsage();
    return {
      http: { requests, serverErrors, meanDurationMs: requests === 0 ? 0 : Math.round((seconds / requests) * 1e6) / 1e3 },
      sockets: { public: this.audience.count('public'), admin: this.audience.count('admin') },
      trackChanges: trackChanges.values[0]?.value ?? 0,
      streamReconnects: reconnects.values[0]?.value ?? 0,
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
      processRssBytes: process.memoryUsage().rss,
    };
  }
}
