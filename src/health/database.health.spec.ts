import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import { Database } from '../database/database.js';
import { WaveError } from '../common/wave-error.js';
import { DatabaseHealthIndicator } from './database.health.js';

/** Only what the indicator reads of the connection. */
function database(ping: () => Promise<void>): Database {
  return { dialect: 'postgres', location: 'postgres://wave@db.lan/wave', ping } as unknown as Database;
}

describe('DatabaseHealthIndicator', () => {
  it('is up with the dialect and the location (no credentials) while the database answers', async () => {
    const indicator = new DatabaseHealthIndicator(
      database(() => Promise.resolve()),
      new HealthIndicatorService(),
    );
    expect(await indicator.isAnswering()).toEqual({
      database: { status: 'up', dialect: 'postgres', location: 'postgres://wave@db.lan/wave' },
    });
  });

  it('is down with database_unavailable and the reason when it does not', async () => {
    const failing = () => Promise.reject(new WaveError(503, 'database_unavailable', 'The database is unreachable: connect ECONNREFUSED'));
    const indicator = new DatabaseHealthIndicator(database(failing), new HealthIndicatorService());
    expect(await indicator.isAnswering()).toEqual({
      database: {
        status: 'down',
        code: 'database_unavailable',
        dialect: 'postgres',
        location: 'postgres://wave@db.lan/wave',
        message: 'The database is unreachable: connect ECONNREFUSED',
      },
    });
  });
});
