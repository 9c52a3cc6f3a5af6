import { Module } from '@nestjs/common';
import { LeadershipService } from './leadership.service.js';

/** Which instance acts for the station (LeadershipService); features that only the leader runs import it. */
@Module({
  providers: [LeadershipService],
  exports: [LeadershipService],
})
export class LeadershipModule {}
