import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller.js';
import { HistoryService } from './history.service.js';

/**
 * The play history (`GET /api/history`). It depends on no other feature: it hears what plays from the bus
 * (`track.changed`, `telegram.upcoming.accepted`, `track.ended`, `telegram.source`, `telegram.daemon.stopped`) and writes through PlayHistoryRepository.
 */
@Module({
  controllers: [HistoryController],
  providers: [HistoryService],
  exports: [HistoryService],
})
export class HistoryModule {}
