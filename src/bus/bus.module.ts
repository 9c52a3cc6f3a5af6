import { Global, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { WaveEvents } from './wave-events.js';

@Global()
@Module({
  imports: [EventEmitterModule.forRoot({ wildcard: false, maxListeners: 50 })],
  providers: [WaveEvents],
  exports: [WaveEvents],
})
export class BusModule {}
