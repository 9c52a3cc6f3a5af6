import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { DATA_DOCUMENTS, DocumentDefinition, DocumentStore } from './document-store.service.js';

/** Global: the validated settings and the one data-file store (which checks `documents` at boot). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, documents: DocumentDefinition<object>[] = []): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, { provide: DATA_DOCUMENTS, useValue: documents }, DocumentStore],
      exports: [AppConfig, DocumentStore],
    };
  }
}
