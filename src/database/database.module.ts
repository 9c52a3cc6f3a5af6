import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Database } from './database.js';

/** Global: the one database connection, opened and migrated before any repository is made. */
@Global()
@Module({
  providers: [{ provide: Database, inject: [AppConfig], useFactory: (config: AppConfig) => Database.open(config) }],
  exports: [Database],
})
export class DatabaseModule {}
