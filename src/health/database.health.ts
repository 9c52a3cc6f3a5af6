import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Database } from '../database/database.js';

/** Up when the library's database answers `select 1`; says which database it is (without credentials). */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly database: Database,
    private readonly health: HealthIndicatorService,
  ) {}

  async isAnswering(key = 'database') {
    const indicator = this.health.check(key);
    const { dialect, location } = this.database;
    try {
      await this.database.ping();
      return indicator.up({ dialect, location });
    } catch (error) {
      return indicator.down({ code: 'database_unavailable', dialect, location, message: (error as Error).message });
    }
  }
}
