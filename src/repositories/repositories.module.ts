import { type DynamicModule, Global, Module } from '@nestjs/common';
import { Database } from '../database/database.js';
import { AudioAnalysisRepository } from './audio-analysis.repository.js';
import { DockerRepository } from './docker.repository.js';
import { LeaderLockRepository } from './leader-lock.repository.js';
import { LeaderRepository } from './leader.repository.js';
import { FileLockRepository } from './file-lock.repository.js';
import { NginxStatRepository } from './nginx-stat.repository.js';
import { PlayHistoryRepository } from './play-history.repository.js';
import { PlaylistRepository } from './playlist.repository.js';
import { ProgrammeStateRepository } from './programme-state.repository.js';
import { QueueRepository } from './queue.repository.js';
import { ScheduleRepository } from './schedule.repository.js';
import { Pm2Repository } from './pm2.repository.js';
import { ProcessRepository } from './process.repository.js';
import { StorageRepository } from './storage.repository.js';
import { TrackRepository } from './track.repository.js';
import { WebhookHttpRepository } from './webhook-http.repository.js';
import { WebhookRepository } from './webhook.repository.js';

/**
 * Every outside system Wave drives, each behind its one repository (as immich keeps one list). Services
 * read as the story and inject these; unit specs swap them for the stateful fakes in test/fakes/.
 */
export const REPOSITORIES = [
  AudioAnalysisRepository,
  DockerRepository,
  LeaderLockRepository,
  FileLockRepository,
  NginxStatRepository,
  Pm2Repository,
  ProcessRepository,
  StorageRepository,
  WebhookHttpRepository,
];

/** The repositories of the database's tables: the only code that queries it (the Database connection below them). */
export const DATABASE_REPOSITORIES = [
  TrackRepository,
  PlayHistoryRepository,
  PlaylistRepository,
  ScheduleRepository,
  QueueRepository,
  ProgrammeStateRepository,
  WebhookRepository,
  LeaderRepository,
];

/** Global: one instance of each repository per process (one Docker client, one PM2 connection). */
@Global()
@Module({
  providers: REPOSITORIES,
  exports: REPOSITORIES,
})
export class RepositoriesModule {}

/**
 * Global: the database's repositories over the one connection, which is opened (and migrated) before Nest builds
 * the application (createWaveApp), so a database that cannot be reached stops the boot with one line, not a stack
 * trace. Apart from RepositoriesModule, so a tool that needs no database (`npm run rtmp`) never opens one.
 */
@Global()
@Module({})
export class DatabaseRepositoriesModule {
  static forRoot(database: Database): DynamicModule {
    const providers = [{ provide: Database, useValue: database }, ...DATABASE_REPOSITORIES];
    return { module: DatabaseRepositoriesModule, providers, exports: [Database, ...DATABASE_REPOSITORIES] };
  }
}
