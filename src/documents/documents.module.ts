import { DynamicModule, Global, Module } from '@nestjs/common';
import { DATA_DOCUMENTS, DocumentDefinition, DocumentStore } from './document-store.service.js';

/** Global: the one store of DATA_DIR's JSON documents (which checks `documents` at boot), above the storage repository. */
@Global()
@Module({})
export class DocumentsModule {
  static forRoot(documents: DocumentDefinition<object>[] = []): DynamicModule {
    return {
      module: DocumentsModule,
      providers: [{ provide: DATA_DOCUMENTS, useValue: documents }, DocumentStore],
      exports: [DocumentStore],
    };
  }
}
