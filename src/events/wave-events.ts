import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

/**
 * Every domain event Wave raises, by name, with its payload. Services emit through WaveEvents;
 * listeners (the Socket.IO gateway, metrics) subscribe with `@OnEvent(name)`. Payloads carry no secrets.
 */
export interface WaveEventMap {
  /** A data document changed (`document` is its file name). */
  'config.updated': { document: string; at: string };
}

export type WaveEventName = keyof WaveEventMap;

/** The one event bus: typed emit over @nestjs/event-emitter. */
@Injectable()
export class WaveEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends WaveEventName>(name: K, payload: WaveEventMap[K]): void {
    this.emitter.emit(name, payload);
  }
}
