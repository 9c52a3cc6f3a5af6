import 'reflect-metadata';
import type { LoggerService, Provider, Type } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaveEvents } from '../src/bus/wave-events.js';
import { AppConfig } from '../src/config/app-config.js';
import { DocumentStore } from '../src/documents/document-store.service.js';
import { validateEnvironment } from '../src/config/env.validation.js';
import { AudioAnalysisRepository } from '../src/repositories/audio-analysis.repository.js';
import { DockerRepository } from '../src/repositories/docker.repository.js';
import { LeaderLockRepository } from '../src/repositories/leader-lock.repository.js';
import { LeaderRepository } from '../src/repositories/leader.repository.js';
import { LeadershipService } from '../src/leadership/leadership.service.js';
import { FileLockRepository } from '../src/repositories/file-lock.repository.js';
import { NginxStatRepository } from '../src/repositories/nginx-stat.repository.js';
import { Pm2Repository } from '../src/repositories/pm2.repository.js';
import { ProcessRepository } from '../src/repositories/process.repository.js';
import { StorageRepository } from '../src/repositories/storage.repository.js';
import { TrackRepository } from '../src/repositories/track.repository.js';
import { PlayHistoryRepository } from '../src/repositories/play-history.repository.js';
import { PlaylistRepository } from '../src/repositories/playlist.repository.js';
import { ProgrammeStateRepository } from '../src/repositories/programme-state.repository.js';
import { QueueRepository } from '../src/repositories/queue.repository.js';
import { ScheduleRepository } from '../src/repositories/schedule.repository.js';
import { Database } from '../src/database/database.js';
import { RtmpIngestKeys } from '../src/rtmp/ingest-keys.js';
import { RtmpCallbackServer } from '../src/rtmp/rtmp-callback.server.js';
import { RtmpConfigService } from '../src/rtmp/rtmp-config.service.js';
import { RtmpPublishAuthService } from '../src/rtmp/rtmp-publish-auth.service.js';
import { FakeAudioAnalysisRepository } from './fakes/audio-analysis.repository.fake.js';
import { FakeDockerRepository } from './fakes/docker.repository.fake.js';
import { FakeLeaderLockRepository } from './fakes/leader-lock.repository.fake.js';
import { FakeNginxStatRepository } from './fakes/nginx-stat.repository.fake.js';
import { FakePm2Repository } from './fakes/pm2.repository.fake.js';
import { FakeProcessRepository } from './fakes/process.repository.fake.js';
import { UnboundRtmpCallbackServer } from './fakes/rtmp-callback.server.fake.js';

/** What RtmpService needs besides the repositories (its config, keys, publish auth); the callback listener binds no port. */
export const RTMP_TEST_PROVIDERS: Provider[] = [
  RtmpConfigService,
  RtmpIngestKeys,
  RtmpPublishAuthService,
  { provide: RtmpCallbackServer, useClass: UnboundRtmpCallbackServer },
];

/**
 * A stateful fake of every repository (the one list in src/repositories/repositories.module.ts), but storage and
 * file locks: the real StorageRepository and FileLockRepository, on the temp DATA_DIR the spec owns.
 */
export interface FakeRepositories {
  audioAnalysis: FakeAudioAnalysisRepository;
  docker: FakeDockerRepository;
  leaderLock: FakeLeaderLockRepository;
  nginxStat: FakeNginxStatRepository;
  pm2: FakePm2Repository;
  process: FakeProcessRepository;
  storage: StorageRepository;
  fileLock: FileLockRepository;
}

export function newFakeRepositories(): FakeRepositories {
  return {
    audioAnalysis: new FakeAudioAnalysisRepository(),
    docker: new FakeDockerRepository(),
    leaderLock: new FakeLeaderLockRepository(),
    nginxStat: new FakeNginxStatRepository(),
    pm2: new FakePm2Repository(),
    process: new FakeProcessRepository(),
    storage: new StorageRepository(),
    fileLock: new FileLockRepository(),
  };
}

/** Nest providers binding each repository to its fake: nothing under test reaches an outside system. */
export function fakeRepositoryProviders(fakes: FakeRepositories): Provider[] {
  return [
    { provide: AudioAnalysisRepository, useValue: fakes.audioAnalysis },
    { provide: DockerRepository, useValue: fakes.docker },
    { provide: LeaderLockRepository, useValue: fakes.leaderLock },
    { provide: NginxStatRepository, useValue: fakes.nginxStat },
    { provide: Pm2Repository, useValue: fakes.pm2 },
    { provide: ProcessRepository, useValue: fakes.process },
    { provide: StorageRepository, useValue: fakes.storage },
    { provide: FileLockRepository, useValue: fakes.fileLock },
  ];
}

export interface TestService<T> {
  /** The service under test. */
  sut: T;
  module: TestingModule;
  config: AppConfig;
  /** DATA_DIR (LOG_DIR is `logs` in it): a temp dir the spec owns, removed by close(). */
  dataDir: string;
  fakes: FakeRepositories;
  /** Every domain event emitted on the bus, in order. */
  events: Array<[string, unknown]>;
  get<U>(type: Type<U>): U;
  /** Closes the module (its shutdown hooks run) and removes the data dir. */
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** The providers `service` needs besides the repositories, the config, the document store and the bus. */
  providers?: Provider[];
  /** Environment over DATA_DIR and LOG_DIR (validated as at boot). */
  env?: Record<string, string>;
  /** Reuse these fakes (a Wave restarted on the same Docker and PM2) and this data dir. */
  fakes?: FakeRepositories;
  dataDir?: string;
  /** Where Nest's loggers write (from before the lifecycle hooks run), e.g. a spec's list of lines. */
  logger?: LoggerService;
}

/**
 * Builds `service` as Nest would, with every repository a stateful fake (as immich's newTestService):
 * the real AppConfig on a temp DATA_DIR, the real DocumentStore and event bus, and `providers`. The database
 * is real too: SQLite is embedded (a file in the temp DATA_DIR, no server, no port), so the library's
 * repositories run their own queries.
 * Lifecycle hooks run (init), so the service is as it is after boot.
 */
export async function newTestService<T>(service: Type<T>, options: TestServiceOptions = {}): Promise<TestService<T>> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'wave-unit-')));
  const config = new AppConfig(validateEnvironment({ DATA_DIR: dataDir, LOG_DIR: join(dataDir, 'logs'), ...options.env }));
  const fakes = options.fakes ?? newFakeRepositories();
  const module = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    providers: [
      { provide: AppConfig, useValue: config },
      DocumentStore,
      WaveEvents,
      ...fakeRepositoryProviders(fakes),
      { provide: Database, useFactory: () => Database.open(config) },
      TrackRepository,
      PlayHistoryRepository,
      PlaylistRepository,
      ScheduleRepository,
      QueueRepository,
      ProgrammeStateRepository,
      LeaderRepository,
      LeadershipService,
      ...(options.providers ?? []),
      service,
    ],
  }).compile();
  if (options.logger) module.useLogger(options.logger);
  await module.init();
  const events: Array<[string, unknown]> = [];
  module.get(EventEmitter2).onAny((name, payload) => events.push([String(name), payload]));
  return {
    sut: module.get(service),
    module,
    config,
    dataDir,
    fakes,
    events,
    get: (type) => module.get(type),
    close: async () => {
      await module.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
