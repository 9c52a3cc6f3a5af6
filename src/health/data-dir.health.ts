import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';

/** Up when DATA_DIR accepts a write: the track library and configs can be saved. */
@Injectable()
export class DataDirHealthIndicator {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthIndicatorService,
  ) {}

  async isWritable(key = 'dataDir') {
    const indicator = this.health.check(key);
    const probe = join(this.config.dataDir, `.health-${randomUUID()}`);
    try {
      await mkdir(this.config.dataDir, { recursive: true });
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
      return indicator.up({ path: this.config.dataDir });
    } catch (error) {
      return indicator.down({ code: 'data_dir_not_writable', path: this.config.dataDir, message: (error as Error).message });
    }
  }
}
