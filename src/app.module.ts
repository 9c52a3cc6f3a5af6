import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { ApiAuthModule } from './auth/api-auth.js';
import { ApiTokenGuard } from './auth/api-token.guard.js';
import { MutationThrottlerGuard } from './common/mutation-throttler.guard.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DESTINATIONS_DOCUMENT } from './telegram/destinations.document.js';
import { DestinationsModule } from './destinations/destinations.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { DocumentsModule } from './documents/documents.module.js';
import type { Database } from './database/database.js';
import { BusModule } from './bus/bus.module.js';
import { DatabaseRepositoriesModule, RepositoriesModule } from './repositories/repositories.module.js';
import { HealthModule } from './health/health.module.js';
import { HistoryModule } from './history/history.module.js';
import { ProgrammeModule } from './programme/programme.module.js';
import { RTMP_CONFIG_DOCUMENT } from './rtmp/rtmp-config.document.js';
import { RtmpModule } from './rtmp/rtmp.module.js';
import { TELEGRAM_CONFIG_DOCUMENT } from './telegram/telegram-config.document.js';
import { LIVE_OVERRIDE_DOCUMENT } from './telegram/live-override.document.js';
import { TelegramModule } from './telegram/telegram.module.js';
import { TracksModule } from './tracks/tracks.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { StreamingModule } from './streaming/streaming.module.js';

const RATE_LIMIT_WINDOW_MS = 60_000;

/** Feature modules Wave is made of; each registers its own controllers and providers. */
const FEATURE_MODULES = [
  HealthModule,
  RtmpModule,
  StreamingModule,
  MonitoringModule,
  RealtimeModule,
  TelegramModule,
  DestinationsModule,
  WebhooksModule,
  TracksModule,
  HistoryModule,
  ProgrammeModule,
];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, database: Database): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // audio-tracks.json is not among them: the library is in the database, and LibrarySnapshotService keeps that file.
        DocumentsModule.forRoot([RTMP_CONFIG_DOCUMENT, TELEGRAM_CONFIG_DOCUMENT, LIVE_OVERRIDE_DOCUMENT, DESTINATIONS_DOCUMENT]),
        BusModule,
        RepositoriesModule,
        DatabaseRepositoriesModule.forRoot(database),
        ApiAuthModule,
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: RATE_LIMIT_WINDOW_MS, limit: config.rateLimitPerMinute || Number.MAX_SAFE_INTEGER }],
          skipIf: () => config.rateLimitPerMinute === 0,
        }),
        ...FEATURE_MODULES,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Authentication before rate limiting, so unauthenticated floods are answered 401 cheaply.
        { provide: APP_GUARD, useClass: ApiTokenGuard },
        { provide: APP_GUARD, useClass: MutationThrottlerGuard },
      ],
    };
  }
}
