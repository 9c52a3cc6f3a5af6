import { LeadershipModule } from '../leadership/leadership.module.js';
import { Module } from '@nestjs/common';
import { MediaProbeModule } from '../media/media-probe.module.js';
import { TrackAnalysisController } from './analysis/track-analysis.controller.js';
import { TrackAnalysisService } from './analysis/track-analysis.service.js';
import { LibrarySnapshotService } from './library-snapshot.service.js';
import { LibraryScanController } from './scan/library-scan.controller.js';
import { LibraryScanService } from './scan/library-scan.service.js';
import { TrackLibrary } from './track-library.js';
import { TracksController } from './tracks.controller.js';
import { TracksService } from './tracks.service.js';

/** The track library. It depends on no other feature: changes go out as `tracks.updated`, and others ask through TrackLibrary. */
@Module({
  imports: [MediaProbeModule, LeadershipModule],
  controllers: [TrackAnalysisController, TracksController, LibraryScanController],
  providers: [
    TracksService,
    LibrarySnapshotService,
    LibraryScanService,
    TrackAnalysisService,
    { provide: TrackLibrary, useExisting: TracksService },
  ],
  exports: [TracksService, TrackLibrary],
})
export class TracksModule {}
