import { Module } from '@nestjs/common';
import { PlaylistsController } from './playlists.controller.js';
import { PlaylistsService } from './playlists.service.js';
import { ProgrammeService } from './programme.service.js';
import { QueueController } from './queue.controller.js';
import { QueueService } from './queue.service.js';
import { ScheduleController } from './schedule.controller.js';
import { ScheduleService } from './schedule.service.js';

/**
 * Programming (issue 13): playlists, the weekly schedule in the station's time zone, the request queue, and the one
 * decider of what plays next (ProgrammeService, which raises the look-ahead as `programme.upcoming`). It depends on no
 * other feature: it hears plays and changes on the bus, and the Telegram feature hands its look-ahead to the daemon.
 */
@Module({
  controllers: [PlaylistsController, ScheduleController, QueueController],
  providers: [PlaylistsService, ScheduleService, QueueService, ProgrammeService],
  exports: [PlaylistsService, ScheduleService, QueueService, ProgrammeService],
})
export class ProgrammeModule {}
