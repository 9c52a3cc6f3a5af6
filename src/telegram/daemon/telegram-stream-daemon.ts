import type { ProcessRepository } from '../../repositories/process.repository.js';
import type { StorageRepository } from '../../repositories/storage.repository.js';
import { TELEGRAM_DESTINATION_ID, type DestinationConnection, type DestinationState } from '../../contracts/destinations.js';
import { hasUrlScheme, INGEST_URL_SCHEMES, RADIO_URL_SCHEMES } from '../stream-url.js';
import { SOUND_LIMITS, soundSettings, type TelegramConfigDocument } from '../telegram-config.document.js';
import { Backoff } from './backoff.js';
import { prepareCoverClip } from './cover.js';
import {
  TRACK_REASONS,
  type ConnectionState,
  type DaemonCommand,
  type DaemonMessage,
  type DaemonSourceKind,
  type SoundSettings,
  type UpcomingAcceptedMessage,
  type UpcomingItem,
} from '../../contracts/daemon-messages.js';
import type { DaemonEnvironment } from './daemon-settings.js';
import { encoderArgs } from './encoder.js';
import { Feeder } from './feeder.js';
import type { DestinationLink, DestinationSettings } from './destination-link.js';
import { LiveSource } from './live-source.js';
import { bytesForMs, PcmClock, PcmFormat } from './pcm.js';
import { PlaylistSource, PlaylistTrack } from './playlist-source.js';
import { Simulcast, telegramDestination } from './simulcast.js';
import { StationEncoder } from './station-encoder.js';
import { trackSoundOf } from './track-sound.js';

export interface DaemonLogger {
  error(message: string, meta?: object): unknown;
  warn(message: string, meta?: object): unknown;
  info(message: string, meta?: object): unknown;
  debug(message: string, meta?: object): unknown;
}

export interface DaemonOptions {
  config: TelegramConfigDocument;
  env: DaemonEnvironment;
  processes: ProcessRepository;
  /** The cover clip's cache (the daemon runs outside Nest: `new StorageRepository()`). */
  storage: StorageRepository;
  logger: DaemonLogger;
  /** Sends a report to Wave (PM2's bus); called when the reported audio is heard. */
  report: (message: DaemonMessage) => void;
  loadTracks: () => Promise<PlaylistTrack[]>;
  /** The enabled destinations besides Telegram (`stream-destinations.json`), or why they cannot be read. None by default. */
  loadDestinations?: () => Promise<DestinationSettings[] | string>;
  tracksDir: string;
  /** Cover image path ('' for a plain background). */
  coverImage: string;
  cacheDir: string;
  /** Called when the daemon has nothing left to do (a non-looping playlist ended). */
  onFinished?: (reason: string) => void;
  statsIntervalMs?: number;
}

/** Written ahead of the due time so the encoder never starves: two periods. */
const FEED_LEAD_MS = 80;
/**
 * Feeder period. Each wake-up costs node and the encoder's reader: 40 ms instead of 20 ms took the daemon from 8.7 %
 * to 7.3 % of a core (bench:telegram) and left the output latency as it was.
 */
const FEED_TICK_MS = 40;
/**
 * A source with no PCM for this long goes off the air and the playlist takes over. The relay's decoder
 * does not see the DJ's unpublish as EOF, so this is how a finished live show ends; a radio over the
 * internet gets more slack.
 */
const RELAY_STARVE_GRACE_MS = 1000;
const RADIO_STARVE_GRACE_MS = 3000;
/** Relay decoder buffer cap: bounds the live delay. */
const RELAY_BUFFER_MS = 300;
/** Radio streams arrive in bursts; a larger buffer rides over network jitter. */
const RADIO_BUFFER_MS = 1500;
/** A radio URL that gives no audio within this long is retried later. */
const RADIO_START_TIMEOUT_MS = 20_000;
/** A live source that played (or waited for a publisher) this long resets its retry backoff. */
const SOURCE_HEALTHY_MS = 10_000;

/** A set-upcoming holds at most this many items (Wave sends the next one or two). */
export const MAX_UPCOMING_ITEMS = 10;
/** Programme plays kept for the next upcoming-accepted (the newest, when Wave was away longer). */
const STARTED_PLAYS_KEPT = 20;

/** `ingest`: Wave's own RTMP ingest (see the switch-source command). */
export type Preferred = { kind: 'playlist' } | { kind: 'url' | 'rtmp'; url: string; ingest?: boolean };

/**
 * The Telegram stream: one encoder connection to the ingest for the whole session, fed PCM by the
 * feeder (the audio clock) from the playlist, a radio URL or the live relay, switchable mid-stream.
 */
export class TelegramStreamDaemon {
  private readonly format: PcmFormat;
  private readonly playlist: PlaylistSource;
  private feeder!: Feeder;
  private encoder!: StationEncoder;
  private simulcast!: Simulcast;
  private preferred: Preferred;
  private live: { source: LiveSource; since: number } | null = null;
  private readonly liveBackoff = { url: new Backoff(1000, 30_000), rtmp: new Backoff(1000, 5000) };
  private liveRetryTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  /** What the last `source-changed` (or daemon-started) report said is heard (repeated in each stats report). */
  private heardSource: { source: DaemonSourceKind; label: string } | null = null;
  /** Reports waiting for their audio to be heard, in the order they were made. */
  private readonly heardQueue: Array<{ heardAt: number; fn: () => void }> = [];
  private heardTimer: NodeJS.Timeout | null = null;
  /** Programme plays put on the air since the last upcoming-accepted. */
  private startedPlays: UpcomingAcceptedMessage['started'] = [];
  private readonly startedAt = performance.now();
  private stopped = false;
  /** The sound settings in force: the config's at start, then each `set-sound`'s. */
  private sound: SoundSettings;

  constructor(private readonly options: DaemonOptions) {
    const { config } = options;
    this.format = { sampleRate: config.sampleRate, channels: 2 };
    this.sound = soundSettings(config);
    this.playlist = new PlaylistSource({
      sound: this.sound,
      processes: options.processes,
      ffmpegPath: options.env.ffmpegPath,
      format: this.format,
      loadTracks: options.loadTracks,
      tracksDir: options.tracksDir,
      shuffle: config.shuffle,
      loop: config.loop,
      programmeWaitMs: options.env.programmeWaitMs,
    });
    // `rtmp` with no relay URL is Wave's own ingest: its input carries a key, so Wave sends it over IPC
    // once the daemon has started; the playlist plays until then.
    this.preferred =
      config.source === 'url'
        ? { kind: 'url', url: config.radioUrl }
        : config.source === 'rtmp' && config.relayUrl
          ? { kind: 'rtmp', url: config.relayUrl }
          : { kind: 'playlist' };
  }

  get onAir(): DaemonSourceKind {
    return this.feeder?.onAir.kind ?? 'playlist';
  }

  async start(): Promise<void> {
    const { config, env, logger } = this.options;
    const coverClip = await prepareCoverClip({
      processes: this.options.processes,
      storage: this.options.storage,
      ffmpegPath: env.ffmpegPath,
      image: this.options.coverImage,
      cacheDir: this.options.cacheDir,
    });
    this.feeder = new Feeder({
      clock: new PcmClock(this.format, performance.now(), FEED_LEAD_MS),
      base: this.playlist,
      now: () => performance.now(),
      outputLatencyMs: env.outputLatencyMs,
      starveGraceMs: RADIO_STARVE_GRACE_MS,
      tickMs: FEED_TICK_MS,
      fadeMs: this.sound.liveFadeMs,
    });
    this.encoder = new StationEncoder({
      processes: this.options.processes,
      ffmpegPath: env.ffmpegPath,
      encoderArgs: () =>
        encoderArgs({ coverClip, format: this.format, audioBitrateKbps: config.audioBitrateKbps, outputTsOffsetMs: env.outputTsOffsetMs }),
      stallTimeoutMs: env.stallTimeoutMs,
      maxQueuedBytes: bytesForMs(this.format, 200),
    });
    this.simulcast = new Simulcast({
      policy: env.outbound,
      stallTimeoutMs: env.stallTimeoutMs,
      streamConfig: () => this.encoder.streamConfig,
      onState: (connection, previous, link) => this.onDestinationState(connection, previous, link),
    });
    this.wireEvents();
    logger.info(
      `streaming to ${config.serverUrl} (${config.audioBitrateKbps} kb/s AAC, ${config.sampleRate} Hz), source: ${config.source}`,
    );
    this.feeder.start();
    this.encoder.start();
    const others = await this.readDestinations();
    this.simulcast.apply([telegramDestination(config), ...(others ?? [])]);
    this.engagePreferred();
    this.statsTimer = setInterval(() => this.reportStats(), this.options.statsIntervalMs ?? 5000);
    // As daemon-started says it, until the first source-changed.
    this.heardSource = { source: config.source, label: config.source };
    this.send({ event: 'daemon-started', pid: process.pid, at: iso(performance.now()), source: config.source });
  }

  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.liveRetryTimer) clearTimeout(this.liveRetryTimer);
    if (this.heardTimer) clearTimeout(this.heardTimer);
    this.heardQueue.length = 0;
    this.feeder?.stop();
    this.playlist.close();
    this.simulcast?.closeAll();
    await this.encoder?.stop();
    this.options.logger.info(`stopped: ${reason}`);
    this.send({ event: 'daemon-stopped', reason, at: iso(performance.now()) });
  }

  handleCommand(command: DaemonCommand): void {
    const { logger } = this.options;
    switch (command.command) {
      case 'reload-playlist':
        logger.info('playlist reload requested');
        this.playlist.reload();
        return;
      case 'reload-destinations':
        logger.info('destinations reload requested');
        void this.reloadDestinations();
        return;
      case 'switch-source': {
        const preferred = preferredSource(command);
        if (typeof preferred === 'string') {
          logger.warn(`switch-source refused: ${preferred}`);
          this.send({ event: 'error', code: 'invalid_command', message: preferred, at: iso(performance.now()) });
          return;
        }
        // Wave decides from what nginx and this daemon report, not from what it sent before, so it may
        // repeat a switch: restarting a source that plays (a DJ's relay) would cut it for a moment.
        if (sameSource(this.preferred, preferred) && (preferred.kind === 'playlist' || this.live)) {
          logger.debug(`switch to ${command.source} requested: already on the air`);
          return;
        }
        this.preferred = preferred;
        logger.info(`switch to ${command.source} requested`);
        this.liveBackoff.url.reset();
        this.liveBackoff.rtmp.reset();
        this.engagePreferred();
        return;
      }
      case 'set-upcoming': {
        const items = upcomingItems(command);
        if (typeof items === 'string') {
          logger.warn(`set-upcoming refused: ${items}`);
          this.send({ event: 'error', code: 'invalid_command', message: items, at: iso(performance.now()) });
          return;
        }
        this.playlist.setUpcoming(items);
        const holding = this.playlist.holding;
        logger.debug(`look-ahead: ${holding.join(', ') || 'none (library order)'}`);
        const started = this.startedPlays;
        this.startedPlays = [];
        this.send({ event: 'upcoming-accepted', started, holding, at: iso(performance.now()) });
        return;
      }
      case 'set-sound': {
        const sound = soundFromCommand(command);
        if (typeof sound === 'string') {
          logger.warn(`set-sound refused: ${sound}`);
          this.send({ event: 'error', code: 'invalid_command', message: sound, at: iso(performance.now()) });
          return;
        }
        this.sound = sound;
        logger.info(`sound settings: ${describeSound(sound)}`);
        this.applySound();
        return;
      }
      case 'skip':
        // Only the playlist has tracks; a radio or a live show ends by switch-source. Wave hears why it did nothing.
        if (this.feeder.onAir !== this.playlist) {
          logger.info(`skip ignored: ${this.feeder.onAir.label} is on the air, not the playlist`);
          this.send({
            event: 'error',
            code: 'skip_not_playlist',
            message: `nothing to skip: ${this.feeder.onAir.label} is on the air`,
            at: iso(performance.now()),
          });
          return;
        }
        if (this.feeder.skip()) logger.info('track skipped');
        else logger.info('skip: no track was playing');
        return;
    }
  }

  /** Hands the sound settings in force to what shapes the sound (each applies them from its next track or switch). */
  private applySound(): void {
    this.playlist.setSound(this.sound);
    this.feeder?.setFadeMs(this.sound.liveFadeMs);
  }

  private wireEvents(): void {
    const { logger } = this.options;
    this.feeder.on('track-started', ({ track, heardAt }) => {
      // Counted from when it goes on the air, so an upcoming-accepted never lists an item as neither held nor started.
      if (track.play) {
        this.startedPlays.push({ ...track.play, trackId: track.id, startedAt: iso(heardAt) });
        if (this.startedPlays.length > STARTED_PLAYS_KEPT) this.startedPlays.shift();
      }
      this.atHeard(heardAt, () => {
        logger.info(`now playing: ${track.artist ? `${track.artist} — ` : ''}${track.title} (${track.id})`);
        this.send({ event: 'track-started', track, startedAt: iso(heardAt) });
      });
    });
    this.feeder.on('track-ended', ({ track, heardAt, reason }) =>
      this.atHeard(heardAt, () => this.send({ event: 'track-ended', track, endedAt: iso(heardAt), reason })),
    );
    this.feeder.on('source-changed', ({ kind, label, heardAt }) => {
      // The hand-over's stages, for the e2e's breakdown: the feeder switched now, the ingest hears it at heardAt.
      logger.info(`feeder switched to ${label} (heard in ~${Math.round(heardAt - performance.now())} ms)`);
      this.atHeard(heardAt, () => {
        logger.info(`on air: ${label}`);
        this.heardSource = { source: kind, label };
        this.send({ event: 'source-changed', source: kind, label, at: iso(heardAt) });
      });
    });
    this.feeder.on('source-failed', ({ source, reason }) => {
      if (!this.live || source !== this.live.source) return;
      // A refused connection (outbound_refused) or a failed fetch says more than "ended before any audio".
      const failure = this.live.source.failure;
      const why = failure ? `${failure.message} (${reason})` : reason;
      logger.warn(`${source.label} off the air: ${why}`);
      this.send({ event: 'error', code: failure?.code ?? 'source_failed', message: `${source.label}: ${why}`, at: iso(performance.now()) });
      this.scheduleLiveRetry();
    });
    this.playlist.on('error', ({ code, message }: { code: string; message: string }) => {
      logger.error(message);
      this.send({ event: 'error', code, message, at: iso(performance.now()) });
    });
    this.playlist.on('finished', () => {
      if (this.preferred.kind !== 'playlist') return;
      // Let the last track play out before stopping.
      const wait = setInterval(() => {
        if (!this.playlist.finished) return;
        clearInterval(wait);
        this.options.onFinished?.('the playlist has ended (loop is off)');
      }, 200);
    });

    this.encoder.on('sink', (sink) => this.feeder.setSink(sink));
    this.encoder.on('tags', (tags) => this.simulcast.push(tags));
    this.encoder.on('restarting', ({ reason, delayMs }) => {
      logger.warn(`encoder restarting in ${delayMs} ms: ${reason}`);
      this.send({ event: 'error', code: 'encoder_failed', message: reason, at: iso(performance.now()) });
    });
    this.encoder.on('log', ({ level, message }) => logger[level](`ffmpeg: ${message}`));
  }

  /** Re-reads the destinations and applies them: only those added, removed or changed are touched. */
  private async reloadDestinations(): Promise<void> {
    const others = await this.readDestinations();
    if (others === null || this.stopped) return;
    const plan = this.simulcast.apply([telegramDestination(this.options.config), ...others]);
    this.options.logger.info(
      `destinations: ${plan.start.length} started, ${plan.restart.length} restarted, ${plan.stop.length} stopped, the others untouched`,
    );
  }

  /** The enabled destinations besides Telegram; null (keep what runs) when the file cannot be used. */
  private async readDestinations(): Promise<DestinationSettings[] | null> {
    if (!this.options.loadDestinations) return [];
    const result = await this.options.loadDestinations().catch((error: Error) => error.message);
    if (typeof result !== 'string') return result;
    this.options.logger.error(`destinations not changed: ${result}`);
    this.send({ event: 'error', code: 'destinations_invalid', message: result, at: iso(performance.now()) });
    return null;
  }

  private onDestinationState(connection: DestinationConnection, previous: DestinationState | null, link: DestinationLink): void {
    const { logger } = this.options;
    const at = iso(performance.now());
    const why = connection.lastError && connection.state !== 'live' ? `: ${connection.lastError.message}` : '';
    const retry = connection.retryInMs !== undefined ? ` (retry ${connection.attempt} in ${connection.retryInMs} ms)` : '';
    const text = `destination ${link.settings.label} ${connection.state}${retry}${connection.state === 'retrying' || connection.state === 'failed' ? why : ''}`;
    if (connection.state === 'retrying' || connection.state === 'failed') logger.warn(text);
    else logger.info(text);
    this.send({ event: 'destination-state', destination: connection, previous, at });
    if (connection.id !== TELEGRAM_DESTINATION_ID) return;
    // The seed's `connection` report: the Telegram channel's connection.
    const state: ConnectionState =
      connection.state === 'live'
        ? 'connected'
        : connection.state === 'connecting'
          ? 'connecting'
          : connection.state === 'disabled'
            ? 'stopped'
            : 'reconnecting';
    const failing = state === 'reconnecting';
    this.send({
      event: 'connection',
      state,
      attempt: connection.attempt,
      ...(failing ? { delayMs: connection.retryInMs, reason: connection.lastError?.message } : {}),
      ...(failing && connection.lastError?.code ? { reasonCode: connection.lastError.code } : {}),
      at,
    });
    if (failing)
      this.send({
        event: 'error',
        code: connection.lastError?.code ?? 'ingest_disconnected',
        message: connection.lastError?.message ?? 'disconnected',
        at,
      });
  }

  /** Puts the preferred source on the air (the playlist plays until its first PCM). */
  private engagePreferred(): void {
    if (this.stopped) return;
    if (this.liveRetryTimer) clearTimeout(this.liveRetryTimer);
    this.liveRetryTimer = null;
    const preferred = this.preferred;
    if (preferred.kind === 'playlist') {
      this.live = null;
      this.feeder.switchTo(this.playlist);
      return;
    }
    const source = new LiveSource(preferred.kind, preferred.url, {
      processes: this.options.processes,
      ffmpegPath: this.options.env.ffmpegPath,
      format: this.format,
      capMs: preferred.kind === 'rtmp' ? RELAY_BUFFER_MS : RADIO_BUFFER_MS,
      policy: this.options.env.outbound,
      ingest: preferred.ingest === true,
      // Read when the source is made: a set-sound applies from the next switch.
      loudnessTargetLufs: this.sound.liveLoudness ? this.sound.loudnessTarget : null,
    });
    source.once('first-audio', ({ afterMs }: { afterMs: number }) =>
      this.options.logger.info(`first audio from ${source.label} ${Math.round(afterMs)} ms after its decoder started`),
    );
    source.on('exit', (exit: { code: number | null; stderr: string }) => {
      if (exit.code !== 0 && exit.stderr) this.options.logger.debug(`${source.label} decoder: ${exit.stderr.split('\n').pop()}`);
    });
    this.live = { source, since: performance.now() };
    this.options.logger.info(`waiting for audio from ${source.label}`);
    this.feeder.switchTo(
      source,
      preferred.kind === 'url'
        ? { startTimeoutMs: RADIO_START_TIMEOUT_MS, starveGraceMs: RADIO_STARVE_GRACE_MS }
        : { starveGraceMs: RELAY_STARVE_GRACE_MS },
    );
  }

  private scheduleLiveRetry(): void {
    const live = this.live;
    if (!live || this.preferred.kind === 'playlist' || this.stopped) return;
    const backoff = this.liveBackoff[this.preferred.kind];
    if (performance.now() - live.since >= SOURCE_HEALTHY_MS) backoff.reset();
    const delay = backoff.next();
    this.options.logger.info(`retrying ${live.source.label} in ${delay} ms`);
    this.live = null;
    this.liveRetryTimer = setTimeout(() => this.engagePreferred(), delay);
  }

  private reportStats(): void {
    const now = performance.now();
    const destinations = this.simulcast.connections();
    const telegram = destinations.find((d) => d.id === TELEGRAM_DESTINATION_ID);
    this.send({
      event: 'stats',
      bitrateKbps: telegram ? Math.round(telegram.bitrateKbps) : 0,
      bytesSent: telegram?.bytesSent ?? 0,
      uptimeSec: Math.round((now - this.startedAt) / 1000),
      connectedSec: telegram?.uptimeSec ?? 0,
      connected: telegram?.state === 'live',
      reconnects: telegram?.reconnects ?? 0,
      destinations,
      silenceMs: Math.round(this.feeder.silenceMs),
      ...(this.heardSource ? { onAir: this.heardSource } : {}),
      at: iso(now),
    });
  }

  /**
   * Runs `fn` when the audio due at `heardAt` (monotonic ms) reaches the ingest. Reports go out in the order they were
   * made: a skipped track's end and the next one's start are heard at one instant, and timers made a tick apart
   * could swap them.
   */
  private atHeard(heardAt: number, fn: () => void): void {
    if (this.stopped) return fn();
    this.heardQueue.push({ heardAt, fn });
    if (this.heardQueue.length === 1) this.armHeardTimer();
  }

  private armHeardTimer(): void {
    const head = this.heardQueue[0];
    if (!head) return;
    this.heardTimer = setTimeout(
      () => {
        this.heardTimer = null;
        const now = performance.now();
        while (this.heardQueue.length > 0 && this.heardQueue[0].heardAt <= now + 1) this.heardQueue.shift()!.fn();
        this.armHeardTimer();
      },
      Math.max(0, head.heardAt - performance.now()),
    );
  }

  private send(message: DaemonMessage): void {
    try {
      this.options.report(message);
    } catch (error) {
      this.options.logger.warn(`report failed: ${(error as Error).message}`);
    }
  }
}

/** The source a switch-source command asks for, or why it is refused (ffmpeg must not fetch local files). */
export function preferredSource(command: Extract<DaemonCommand, { command: 'switch-source' }>): Preferred | string {
  if (command.source === 'playlist') return { kind: 'playlist' };
  // Commands arrive over IPC: the type says url | rtmp, the packet may say anything.
  const source: string = command.source;
  if (source !== 'url' && source !== 'rtmp') return `unknown source ${JSON.stringify(source)}`;
  const schemes = command.source === 'url' ? RADIO_URL_SCHEMES : INGEST_URL_SCHEMES;
  if (!hasUrlScheme(command.url, schemes))
    return `a ${command.source} source needs a URL starting with ${schemes.map((s) => `${s}://`).join(', ')}`;
  return command.source === 'rtmp' && command.ingest === true
    ? { kind: 'rtmp', url: command.url, ingest: true }
    : { kind: command.source, url: command.url };
}

/**
 * The items of a set-upcoming, checked field by field (the packet came over IPC) and copied without anything else it
 * carried, or why it is refused. Paths are taken as library paths are: absolute, or relative to the tracks folder.
 */
export function upcomingItems(command: Extract<DaemonCommand, { command: 'set-upcoming' }>): UpcomingItem[] | string {
  const items: unknown = command.items;
  if (!Array.isArray(items)) return 'items must be an array';
  if (items.length > MAX_UPCOMING_ITEMS) return `at most ${MAX_UPCOMING_ITEMS} items, got ${items.length}`;
  const checked: UpcomingItem[] = [];
  for (const [index, item] of items.entries()) {
    const result = upcomingItem(item);
    if (typeof result === 'string') return `item ${index}: ${result}`;
    checked.push(result);
  }
  return checked;
}

function upcomingItem(item: unknown): UpcomingItem | string {
  if (!isRecord(item)) return 'not an object';
  const { play, track, path, sound } = item;
  if (!isRecord(play)) return 'play must be an object';
  if (typeof play.itemId !== 'string' || play.itemId === '') return 'play.itemId must be a non-empty string';
  if (!TRACK_REASONS.includes(play.reason as never)) return `play.reason must be one of ${TRACK_REASONS.join(', ')}`;
  if (play.playlistId !== null && typeof play.playlistId !== 'string') return 'play.playlistId must be a string or null';
  if (!isRecord(track)) return 'track must be an object';
  for (const key of ['id', 'title', 'artist'] as const) if (typeof track[key] !== 'string') return `track.${key} must be a string`;
  if (typeof track.duration !== 'number' || !Number.isFinite(track.duration)) return 'track.duration must be a number';
  // ffmpeg cannot be handed a NUL byte (spawn throws).
  if (typeof path !== 'string' || path === '' || path.includes('\0')) return 'path must be a non-empty string (no NUL)';
  const checkedSound = sound === undefined ? undefined : trackSoundOf(sound);
  if (typeof checkedSound === 'string') return `sound: ${checkedSound}`;
  return {
    play: { itemId: play.itemId, reason: play.reason as UpcomingItem['play']['reason'], playlistId: play.playlistId },
    track: { id: track.id as string, title: track.title as string, artist: track.artist as string, duration: track.duration },
    path,
    ...(checkedSound ? { sound: checkedSound } : {}),
  };
}

/** The settings of a set-sound, checked field by field (the packet came over IPC), or why it is refused. */
export function soundFromCommand(command: Extract<DaemonCommand, { command: 'set-sound' }>): SoundSettings | string {
  const sound: unknown = command.sound;
  if (!isRecord(sound)) return 'sound must be an object';
  for (const key of ['normalize', 'crossfadeJingles', 'liveLoudness'] as const)
    if (typeof sound[key] !== 'boolean') return `sound.${key} must be a boolean`;
  for (const key of ['loudnessTarget', 'crossfadeSec', 'silenceThresholdDb', 'liveFadeMs'] as const) {
    const value = sound[key];
    const { min, max } = SOUND_LIMITS[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      return `sound.${key} must be a number from ${min} to ${max}`;
  }
  return {
    normalize: sound.normalize as boolean,
    loudnessTarget: sound.loudnessTarget as number,
    crossfadeSec: sound.crossfadeSec as number,
    crossfadeJingles: sound.crossfadeJingles as boolean,
    silenceThresholdDb: sound.silenceThresholdDb as number,
    liveFadeMs: sound.liveFadeMs as number,
    liveLoudness: sound.liveLoudness as boolean,
  };
}

function describeSound(sound: SoundSettings): string {
  const loudness = sound.normalize ? `${sound.loudnessTarget} LUFS` : 'not normalized';
  return `${loudness}, crossfade ${sound.crossfadeSec} s${sound.crossfadeJingles ? '' : ' (not around jingles)'}, live fade ${sound.liveFadeMs} ms, live loudness ${sound.liveLoudness ? 'on' : 'off'}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

export function sameSource(a: Preferred, b: Preferred): boolean {
  if (a.kind === 'playlist' || b.kind === 'playlist') return a.kind === b.kind;
  return a.kind === b.kind && a.url === b.url && (a.ingest ?? false) === (b.ingest ?? false);
}

function iso(monotonicMs: number): string {
  return new Date(performance.timeOrigin + monotonicMs).toISOString();
}
