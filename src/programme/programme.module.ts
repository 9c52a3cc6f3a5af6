import { Module } from '@nestjs/common';
import { PlaylistsController } from './playlists.controller.js';
import { PlaylistsService } from './playlists.service.js';
import { QueueController } from './queue.controller.js';
import { QueueService } from './queue.service.js';
import { ScheduleController } from './schedule.controller.js';
import { ScheduleService } from './schedule.service.js';

/**
 * Programming (issue 13): playlists, the weekly schedule in the station's time zone, and the request queue, over
 * their repositories. It depends on no other feature: every change goes out on the bus (`playlists.updated`,
 * `schedule.updated`, `queue.updated`) for whoever decides what plays next, and the services are exported for it.
 */
@Module({
  controllers: [PlaylistsController, ScheduleController, QueueController],
  providers: [PlaylistsService, ScheduleService, QueueService],
  exports: [PlaylistsService, ScheduleService, QueueService],
})
export class ProgrammeModule {}
