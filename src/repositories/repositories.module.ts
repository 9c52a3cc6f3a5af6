import { Global, Module } from '@nestjs/common';
import { DockerRepository } from './docker.repository.js';
import { NginxStatRepository } from './nginx-stat.repository.js';
import { PlayHistoryRepository } from './play-history.repository.js';
import { Pm2Repository } from './pm2.repository.js';
import { ProcessRepository } from './process.repository.js';
import { StorageRepository } from './storage.repository.js';
import { TrackRepository } from './track.repository.js';

/**
 * Every outside system Wave drives, each behind its one repository (as immich keeps one list). Services
 * read as the story and inject these; unit specs swap them for the stateful fakes in test/fakes/.
 */
export const REPOSITORIES = [
  DockerRepository,
  NginxStatRepository,
  Pm2Repository,
  ProcessRepository,
  StorageRepository,
  TrackRepository,
  PlayHistoryRepository,
];

/** Global: one instance of each repository per process (one Docker client, one PM2 connection). */
@Global()
@Module({
  providers: REPOSITORIES,
  exports: REPOSITORIES,
})
export class RepositoriesModule {}
