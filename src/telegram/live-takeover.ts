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
  /**
   * The operator's override in force (see overrideInForce): `take` puts that DJ on the air even with the takeover
   * off; `release` keeps that DJ off it. Absent or null: none.
   */
  override?: LiveOverride | null;
}

/** An operator's take or release of a DJ (POST /api/stream/live/take, /release). */
export interface LiveOverride {
  action: 'take' | 'release';
  publisherId: string;
}

/** One publishing session on Wave's ingest: nginx-rtmp's client id tells a new session of the same key from the old. */
export interface LiveSession {
  publisherId: string;
  clientId: number | null;
}

/**
 * Whether a stored override still holds: it names one session, and lasts as long as /stat lists that session. nginx
 * re-reporting the session (a refused duplicate's callbacks) changes nothing; the publisher publishing again (a new
 * client id) ends it. An ingest that cannot be asked ends nothing.
 */
export function overrideInForce(override: LiveSession, sessions: LiveSession[] | null): boolean {
  if (sessions === null) return true;
  return sessions.some((s) => s.publisherId === override.publisherId && s.clientId === override.clientId);
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

/**
 * Who may have the air, first come first: who is live (an ingest that cannot be asked has nobody live on it), with
 * a DJ the operator took first, and without the one released.
 */
function live(context: TakeoverContext): string[] {
  const publishers = context.livePublishers ?? [];
  const override = context.override;
  if (override?.action === 'release') return publishers.filter((p) => p !== override.publisherId);
  if (override?.action === 'take' && publishers.includes(override.publisherId))
    return [override.publisherId, ...publishers.filter((p) => p !== override.publisherId)];
  return publishers;
}

/** The takeover is on: by the config flag, or for the DJ the operator took. */
function takeoverOn(context: TakeoverContext): boolean {
  return context.enabled || context.override?.action === 'take';
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
  if (!takeoverOn(context)) return { action: 'none', reason: 'live takeover is off' };
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running' };
  // The released session is still live: this is nginx reporting it again, or a duplicate it will refuse.
  if (context.override?.action === 'release' && context.override.publisherId === publisherId)
    return { action: 'none', reason: 'that DJ was released until they publish again' };
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
  if ((context.livePublishers ?? []).includes(publisherId)) return { action: 'none', reason: 'a publisher of this stream is still live' };
  if (takeoverOn(context) && live(context).length > 0) return { action: 'take-air', publisherId: live(context)[0] };
  if (context.onAir !== null && context.onAir !== 'rtmp') return { action: 'none', reason: 'no DJ was on the air' };
  return { action: 'hand-back' };
}

/** The operator changed the source (or the flag): it goes on the air now, unless a DJ is live. */
export function onSourceConfigured(context: TakeoverContext): TakeoverDecision {
  if (!context.daemonRunning) return { action: 'none', reason: 'the Telegram stream is not running (it reads the config at start)' };
  if (takeoverOn(context) && live(context).length > 0) {
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
  if (takeoverOn(context) && live(context).length > 0) return { action: 'take-air', publisherId: live(context)[0] };
  if (relaysWaveIngest) return { action: 'hand-back' };
  return { action: 'none', reason: 'the daemon plays its configured source' };
}

/** What an operator's take or release does: the override to store and the switch to make, or why it cannot be done. */
export type OverrideOutcome =
  | { ok: true; override: LiveOverride; decision: TakeoverDecision }
  | { ok: false; code: 'telegram_not_running' | 'no_live_dj'; reason: string };

/** The operator puts the live DJ on the air (the first one live, or the one already on it), takeover flag or not. */
export function onTakeRequested(context: TakeoverContext): OverrideOutcome {
  if (!context.daemonRunning) return { ok: false, code: 'telegram_not_running', reason: 'the Telegram stream is not running' };
  const publishers = context.livePublishers ?? [];
  if (publishers.length === 0) return { ok: false, code: 'no_live_dj', reason: 'no DJ is live on the RTMP ingest' };
  // A take ends a release: the operator wants that DJ back.
  const publisherId = context.override?.action === 'take' ? context.override.publisherId : publishers[0];
  return { ok: true, override: { action: 'take', publisherId }, decision: { action: 'take-air', publisherId } };
}

/**
 * The operator takes the DJ off the air: back to the configured source, or to the next DJ live when the takeover is
 * on, and that DJ stays off until they publish again.
 */
export function onReleaseRequested(context: TakeoverContext): OverrideOutcome {
  if (!context.daemonRunning) return { ok: false, code: 'telegram_not_running', reason: 'the Telegram stream is not running' };
  const eligible = live(context);
  if (context.onAir !== 'rtmp' || eligible.length === 0 || !takeoverOnAir(context))
    return { ok: false, code: 'no_live_dj', reason: 'no DJ of the RTMP ingest is on the air' };
  const override: LiveOverride = { action: 'release', publisherId: eligible[0] };
  const next = live({ ...context, override });
  const decision: TakeoverDecision =
    context.enabled && next.length > 0 ? { action: 'take-air', publisherId: next[0] } : { action: 'hand-back' };
  return { ok: true, override, decision };
}

/** A DJ the takeover (flag or take) put on the air, rather than the relay the operator configured. */
function takeoverOnAir(context: TakeoverContext): boolean {
  return context.configuredSource !== 'rtmp' || takeoverOn(context);
}
