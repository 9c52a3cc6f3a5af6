import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { DocumentStore } from './document-store.service.js';

/** Global: the validated settings and the one data-file store. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, DocumentStore],
      exports: [AppConfig, DocumentStore],
    };
  }
}
