import { Module } from '@nestjs/common';
import { TelegramModule } from '../telegram/telegram.module.js';
import { DestinationsController } from './destinations.controller.js';
import { DestinationsService } from './destinations.service.js';

/** Simulcast destinations: /api/stream/destinations, and each one's connection as the daemon reports it. */
@Module({
  imports: [TelegramModule],
  controllers: [DestinationsController],
  providers: [DestinationsService],
  exports: [DestinationsService],
})
export class DestinationsModule {}
