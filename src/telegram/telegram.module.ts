import { Module } from '@nestjs/common';
import { Pm2Module } from '../repositories/pm2.module.js';
import { TelegramConfigService } from './telegram-config.service.js';
import { TelegramController } from './telegram.controller.js';
import { TelegramStreamService } from './telegram-stream.service.js';

@Module({
  imports: [Pm2Module],
  controllers: [TelegramController],
  providers: [TelegramConfigService, TelegramStreamService],
  exports: [TelegramStreamService, TelegramConfigService],
})
export class TelegramModule {}
