import type { TelegramSource } from './telegram-config.document.js';

/** What the live takeover decides from, read fresh for each decision (config, PM2, the daemon's report). */
export interface TakeoverContext {
  /** The config flag `liveTakeover`. */
  enabled: boolean;
  /** The source the operator configured: what plays when no DJ has the air. */
  configuredSource: TelegramSource;
  /** PM2 has the daemon online. */
  daemonRunning: boolean;
  /** The publisher (opaque id from the publish events) the takeover put on the air, if any. */
  djOnAir: string | null;
  /** What the daemon last reported on the air (`rtmp` is the live relay). */
  onAir: string | null;
}

export type TakeoverDecision =
  /** Switch the daemon to this publisher's live input. */
  | { action: 'take-air'; publisherId: string }
  /** Switch the daemon back to the configured source. */
  | { action: 'hand-back' }
  | { action: 'none'; reason: string };

/** A DJ started publishing to Wave's RTMP ingest with a valid key. First come, first served. */
export function onDjPublished(context: TakeoverContext, publisherId: string): TakeoverDecision {
  if (!context.enabled) return { action: 'none', reason: 'live takeover is off' };
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running' };
  if (context.djOnAir === publisherId) return { action: 'none', reason: 'this DJ already has the air' };
  if (context.djOnAir !== null) return { action: 'none', reason: 'another DJ has the air' };
  return { action: 'take-air', publisherId };
}

/**
 * A publisher left Wave's RTMP ingest. The DJ the takeover put on air hands back to the configured
 * source; so does a live relay found on air with nobody recorded (a Wave restarted during a show),
 * unless the operator configured the relay itself.
 */
export function onDjUnpublished(context: TakeoverContext, publisherId: string): TakeoverDecision {
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running' };
  if (context.djOnAir === publisherId) return { action: 'hand-back' };
  if (context.djOnAir !== null) return { action: 'none', reason: 'another DJ has the air' };
  if (context.enabled && context.onAir === 'rtmp' && context.configuredSource !== 'rtmp') return { action: 'hand-back' };
  return { action: 'none', reason: 'this publisher was not on the air' };
}

/** The operator changed the source (or the flag): it goes on the air now, unless a DJ holds it. */
export function onSourceConfigured(context: TakeoverContext): TakeoverDecision {
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running (it reads the config at start)' };
  if (context.enabled && context.djOnAir !== null) return { action: 'none', reason: 'a DJ has the air; the new source follows when the DJ hands back' };
  return { action: 'hand-back' };
}

/** The daemon (re)started: it cannot know a DJ on air, nor Wave's own ingest URL (not in its config). */
export function onDaemonStarted(context: TakeoverContext, relaysWaveIngest: boolean): TakeoverDecision {
  if (context.enabled && context.djOnAir !== null) return { action: 'take-air', publisherId: context.djOnAir };
  if (relaysWaveIngest) return { action: 'hand-back' };
  return { action: 'none', reason: 'the daemon plays its configured source' };
}
