import { applyDecorators } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { WaveEventName } from './wave-events.js';

/** `@OnEvent` for each of several domain events (an array given to OnEvent would name one namespaced event). */
export const OnEvents = (names: readonly WaveEventName[]): MethodDecorator => applyDecorators(...names.map((name) => OnEvent(name)));
