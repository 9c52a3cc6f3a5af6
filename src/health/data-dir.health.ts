import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { StorageRepository } from '../repositories/storage.repository.js';

/** Up when DATA_DIR accepts a write: the track library and configs can be saved. */
@Injectable()
export class DataDirHealthIndicator {
  constructor(
    private readonly config: AppConfig,
    private readonly storage: StorageRepository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isWritable(key = 'dataDir') {
    const indicator = this.health.check(key);
    const probe = join(this.config.dataDir, `.health-${randomUUID()}`);
    try {
      await this.storage.mkdir(this.config.dataDir);
      await this.storage.createExclusive(probe, 'ok');
      await this.storage.remove(probe);
      return indicator.up({ path: this.config.dataDir });
    } catch (error) {
      return indicator.down({ code: 'data_dir_not_writable', path: this.config.dataDir, message: (error as Error).message });
    }
  }
}
