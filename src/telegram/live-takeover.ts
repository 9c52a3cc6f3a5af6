import type { DaemonSourceKind } from '../contracts/daemon-messages.js';
import type { TelegramSource } from './telegram-config.document.js';

/**
 * What the live takeover decides from, read fresh for each decision from the systems that hold it:
 * the config file, PM2, nginx-rtmp's /stat and the daemon's own report. Nothing is remembered between
 * decisions, so a Wave restarted mid-show decides as the one before it would have.
 */
export interface TakeoverContext {
  /** The config flag `liveTakeover`. */
  enabled: boolean;
  /** The source the operator configured: what plays when no DJ has the air. */
  configuredSource: TelegramSource;
  /** PM2 has the daemon online. */
  daemonRunning: boolean;
  /**
   * Publishers on Wave's RTMP ingest now (nginx-rtmp /stat; opaque ids), longest on the air first.
   * First come, first served: the first one is the DJ the air belongs to. null when the ingest cannot be
   * asked (neither its /stat nor the Docker engine answers): a DJ needs a serving ingest to be live, so
   * every decision then goes as with nobody live — a source change still reaches the daemon.
   */
  livePublishers: string[] | null;
  /** What the daemon reports on the air (`rtmp` is a live relay); null before it has said. */
  onAir: DaemonSourceKind | null;
}

/**
 * A switch the daemon is told to make. The daemon ignores a switch to what it already plays, so a
 * decision made without knowing exactly what is on the air (which DJ; nothing reported yet) is safe.
 */
export type TakeoverDecision =
  /** Switch the daemon to this publisher's live input. */
  | { action: 'take-air'; publisherId: string }
  /** Switch the daemon back to the configured source. */
  | { action: 'hand-back' }
  | { action: 'none'; reason: string };

/** Who is live; an ingest that cannot be asked has nobody live on it. */
function live(context: TakeoverContext): string[] {
  return context.livePublishers ?? [];
}

/** A live relay the takeover put on the air (not the relay the operator configured). */
function djOnAir(context: TakeoverContext): boolean {
  return context.onAir === 'rtmp' && context.configuredSource !== 'rtmp';
}

/**
 * A DJ started publishing with a valid key. nginx calls `on_publish` before /stat lists the publisher,
 * so it counts as live, after everyone already there.
 */
export function onDjPublished(context: TakeoverContext, publisherId: string): TakeoverDecision {
  if (!context.enabled) return { action: 'none', reason: 'live takeover is off' };
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running' };
  if (djOnAir(context)) return { action: 'none', reason: 'a DJ has the air' };
  return { action: 'take-air', publisherId: live(context)[0] ?? publisherId };
}

/**
 * A publisher left Wave's RTMP ingest. nginx also reports a refused duplicate publisher of a live
 * stream as gone, so the air is handed on only when /stat no longer lists that stream: to the next DJ
 * still live, else back to the configured source.
 */
export function onDjUnpublished(context: TakeoverContext, publisherId: string): TakeoverDecision {
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running' };
  if (live(context).includes(publisherId)) return { action: 'none', reason: 'a publisher of this stream is still live' };
  if (context.enabled && live(context).length > 0) return { action: 'take-air', publisherId: live(context)[0] };
  if (context.onAir !== null && context.onAir !== 'rtmp') return { action: 'none', reason: 'no DJ was on the air' };
  return { action: 'hand-back' };
}

/** The operator changed the source (or the flag): it goes on the air now, unless a DJ is live. */
export function onSourceConfigured(context: TakeoverContext): TakeoverDecision {
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running (it reads the config at start)' };
  if (context.enabled && live(context).length > 0) {
    if (context.onAir === 'rtmp') return { action: 'none', reason: 'a DJ has the air; the new source follows when the DJ hands back' };
    return { action: 'take-air', publisherId: live(context)[0] };
  }
  return { action: 'hand-back' };
}

/**
 * The daemon (re)started: it knows neither a DJ live on Wave's ingest (one may have gone live while it
 * was stopped) nor Wave's own ingest URL (not in its config).
 */
export function onDaemonStarted(context: TakeoverContext, relaysWaveIngest: boolean): TakeoverDecision {
  if (context.enabled && live(context).length > 0) return { action: 'take-air', publisherId: live(context)[0] };
  if (relaysWaveIngest) return { action: 'hand-back' };
  return { action: 'none', reason: 'the daemon plays its configured source' };
}
