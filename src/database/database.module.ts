import { DynamicModule, Global, Module } from '@nestjs/common';
import { Database } from './database.js';

/**
 * Global: the one database connection. It is opened (and migrated) before Nest builds the application
 * (createWaveApp), so a database that cannot be reached stops the boot with one line rather than a stack trace.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(database: Database): DynamicModule {
    return { module: DatabaseModule, providers: [{ provide: Database, useValue: database }], exports: [Database] };
  }
}
