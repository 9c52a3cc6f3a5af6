import type { WaveEventMap } from '../bus/wave-events.js';
import type { WebhookEventType } from '../contracts/webhooks.js';

export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/** `track.changed` → the webhook event (what started, why, what comes next). */
export function trackChanged(event: WaveEventMap['track.changed']): WebhookEvent[] {
  return [
    {
      type: 'track.changed',
      timestamp: event.startedAt,
      data: { track: event.track, startedAt: event.startedAt, reason: event.reason, playlistId: event.playlistId, next: event.next },
    },
  ];
}

/**
 * `telegram.source` → `dj.ended` when the live DJ on the air (`onAir`: their label, null for none) left it, then
 * `dj.live` when a DJ took it: a hand-over from one DJ to the next, or back to the programme, always yields the end
 * before the start. Returns who is on the air afterwards.
 */
export function sourceChanged(
  onAir: string | null,
  event: WaveEventMap['telegram.source'],
): { events: WebhookEvent[]; onAir: string | null } {
  const events: WebhookEvent[] = [];
  const now = event.live ? event.label : null;
  if (onAir !== null && now !== onAir)
    events.push({ type: 'dj.ended', timestamp: event.at, data: { label: onAir, at: event.at, next: event.source } });
  if (now !== null && now !== onAir)
    events.push({ type: 'dj.live', timestamp: event.at, data: { label: now, at: event.at, previous: event.previous } });
  return { events, onAir: now };
}

/** The daemon stopped: a DJ on the air is off it. */
export function daemonStopped(onAir: string | null, at: string): WebhookEvent[] {
  return onAir === null ? [] : [{ type: 'dj.ended', timestamp: at, data: { label: onAir, at, next: null } }];
}

/** `stream.destination.state` → `stream.up` when a destination went live, `stream.down` when it left live. */
export function destinationState(event: WaveEventMap['stream.destination.state']): WebhookEvent[] {
  const { destination, name, previous, at } = event;
  const data = { destination: destination.id, name, state: destination.state, previous, lastError: destination.lastError, at };
  if (destination.state === 'live' && previous !== 'live') return [{ type: 'stream.up', timestamp: at, data }];
  if (previous === 'live' && destination.state !== 'live') return [{ type: 'stream.down', timestamp: at, data }];
  return [];
}

/** The daemon's and Wave's own errors (messages already redacted). */
export function telegramError(event: WaveEventMap['telegram.error']): WebhookEvent[] {
  return [{ type: 'error', timestamp: event.at, data: { source: 'telegram', code: event.code, message: event.message, at: event.at } }];
}

export function waveError(event: WaveEventMap['wave.error']): WebhookEvent[] {
  return [
    {
      type: 'error',
      timestamp: event.at,
      data: {
        source: 'wave',
        code: event.code,
        message: event.message,
        status: event.status,
        route: event.route,
        requestId: event.requestId,
        at: event.at,
      },
    },
  ];
}

/** Delay before attempt `attempt + 1` after `attempt` failed ones: 1 s, 2 s, 4 s … capped at 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** A delivery still failing this long after its event is given up (`failed`); the later ones then go on. */
export const GIVE_UP_AFTER_MS = 24 * 3600 * 1000;
