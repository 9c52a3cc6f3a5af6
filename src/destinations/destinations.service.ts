import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { randomBytes } from 'node:crypto';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { maskSecret, registerSecret } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import {
  TELEGRAM_DESTINATION_ID,
  TELEGRAM_DESTINATION_NAME,
  type DestinationConnection,
  type DestinationStatus,
  type DestinationView,
} from '../contracts/destinations.js';
import { AppConfig } from '../config/app-config.js';
import { DocumentStore, DocumentValidationError } from '../documents/document-store.service.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import type { StatsMessage } from '../contracts/daemon-messages.js';
import { TELEGRAM_CONFIG_DOCUMENT } from '../telegram/telegram-config.document.js';
import { TelegramConfigService } from '../telegram/telegram-config.service.js';
import { TelegramStreamService } from '../telegram/telegram-stream.service.js';
import type { CreateDestinationDto, UpdateDestinationDto } from './dto/destination.dto.js';
import {
  DESTINATIONS_DOCUMENT,
  MAX_DESTINATIONS,
  type DestinationsDocument,
  type StoredDestination,
} from '../telegram/destinations.document.js';

export const TELEGRAM_CONFIG_ROUTE = 'PUT /api/stream/telegram/config';
export const REASON_DAEMON_STOPPED = 'the Telegram stream daemon does not run';
export const REASON_OPERATOR = 'disabled by the operator';

/**
 * The simulcast destinations: `DATA_DIR/stream-destinations.json` (keys in it, mode 0600; they leave Wave only
 * masked) plus the Telegram config's channel, listed first and read-only here. Each write is raised as
 * `stream.destinations.updated` and sent to a running daemon as `reload-destinations` (a stopped daemon reads the
 * file when it starts). The daemon's last report per destination is kept in memory, as now playing is.
 */
@Injectable()
export class DestinationsService implements OnModuleInit {
  private readonly logger = new Logger(DestinationsService.name);
  private readonly reports = new Map<string, DestinationConnection>();
  /** Whether the daemon runs, as its reports and lifecycle events say (false until one says it does). */
  private daemonRuns = false;

  constructor(
    private readonly store: DocumentStore,
    private readonly storage: StorageRepository,
    private readonly telegramConfig: TelegramConfigService,
    private readonly stream: TelegramStreamService,
    private readonly events: WaveEvents,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.stored();
  }

  /** Telegram first, then the stored ones in the order they were added. */
  async list(): Promise<DestinationView[]> {
    const [telegram, stored] = await Promise.all([this.telegramView(), this.stored()]);
    return [telegram, ...stored.map((d) => this.toView(d))];
  }

  async get(id: string): Promise<DestinationView> {
    if (id === TELEGRAM_DESTINATION_ID) return this.telegramView();
    return this.toView(this.find(await this.stored(), id));
  }

  /** The destinations as the streaming status shows them (no URL, no key). */
  async statuses(): Promise<DestinationStatus[]> {
    return (await this.list()).map(({ id, kind, name, enabled, connection }) => ({ id, kind, name, enabled, connection }));
  }

  async add(body: CreateDestinationDto): Promise<DestinationView> {
    this.assertOutboundAllowed(body.url);
    const now = new Date().toISOString();
    let created: StoredDestination | undefined;
    await this.write((current) => {
      if (current.destinations.length >= MAX_DESTINATIONS)
        throw new WaveError(409, 'destinations_limit', `At most ${MAX_DESTINATIONS} destinations besides Telegram: delete one first`);
      this.assertNameFree(current.destinations, body.name);
      created = {
        id: newId(body.name, current.destinations),
        name: body.name,
        url: body.url,
        streamKey: body.streamKey ?? '',
        enabled: body.enabled ?? true,
        createdAt: now,
        updatedAt: now,
      };
      return { destinations: [...current.destinations, created] };
    });
    await this.changed('added', created!.id);
    return this.toView(created!);
  }

  async update(id: string, body: UpdateDestinationDto): Promise<DestinationView> {
    this.assertNotTelegram(id);
    this.assertOutboundAllowed(body.url);
    const given = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as Partial<StoredDestination>;
    let updated: StoredDestination | undefined;
    await this.write((current) => {
      const existing = this.find(current.destinations, id);
      if (given.name !== undefined) this.assertNameFree(current.destinations, given.name, id);
      updated = { ...existing, ...given, id, updatedAt: new Date().toISOString() };
      return { destinations: current.destinations.map((d) => (d.id === id ? updated! : d)) };
    });
    await this.changed('updated', id);
    return this.toView(updated!);
  }

  setEnabled(id: string, enabled: boolean): Promise<DestinationView> {
    return this.update(id, { enabled });
  }

  async remove(id: string): Promise<void> {
    this.assertNotTelegram(id);
    await this.write((current) => {
      this.find(current.destinations, id);
      return { destinations: current.destinations.filter((d) => d.id !== id) };
    });
    this.reports.delete(id);
    await this.changed('deleted', id);
  }

  /** The daemon reported a destination's state (through TelegramReportListener), or Wave said it went disabled. */
  @OnEvent('stream.destination.state')
  stateReported(event: WaveEventMap['stream.destination.state']): void {
    if (event.destination.reason !== REASON_DAEMON_STOPPED) this.daemonRuns = true;
    this.reports.set(event.destination.id, structuredClone(event.destination));
  }

  /** Every stats report carries every destination: a Wave restarted mid-show learns where they stand. */
  @OnEvent('telegram.stats')
  statsReported(stats: Omit<StatsMessage, 'event'>): void {
    this.daemonRuns = true;
    for (const destination of stats.destinations ?? []) this.reports.set(destination.id, structuredClone(destination));
  }

  @OnEvent('telegram.daemon.started')
  daemonStarted(): void {
    this.daemonRuns = true;
    this.reports.clear();
  }

  /** Nothing is pushed anywhere any more: each destination not already disabled goes `disabled`, once. */
  @OnEvent('telegram.daemon.stopped')
  async daemonStopped(event: WaveEventMap['telegram.daemon.stopped']): Promise<void> {
    this.daemonRuns = false;
    const names = new Map((await this.list().catch(() => [])).map((d) => [d.id, d.name]));
    for (const [id, report] of [...this.reports]) {
      if (report.state === 'disabled') continue;
      const destination = stoppedConnection(id, event.at, report);
      this.reports.set(id, destination);
      this.events.emit('stream.destination.state', { destination, name: names.get(id) ?? id, previous: report.state, at: event.at });
    }
  }

  private async stored(): Promise<StoredDestination[]> {
    const { destinations } = await this.store.read(DESTINATIONS_DOCUMENT);
    for (const d of destinations) registerSecret(d.streamKey);
    return destinations;
  }

  private async write(mutate: (current: DestinationsDocument) => DestinationsDocument | Promise<DestinationsDocument>): Promise<void> {
    try {
      const after = await this.store.update(DESTINATIONS_DOCUMENT, mutate);
      for (const d of after.destinations) registerSecret(d.streamKey);
    } catch (error) {
      if (error instanceof DocumentValidationError) throw new WaveError(400, 'invalid_destination', error.problems);
      throw error;
    }
  }

  /** After a write: the bus hears of it, and a running daemon re-reads the file. */
  private async changed(action: WaveEventMap['stream.destinations.updated']['action'], id: string): Promise<void> {
    this.events.emit('stream.destinations.updated', { action, id, at: new Date().toISOString() });
    const told = await this.stream.reloadDestinations();
    this.logger.log(`destination ${id} ${action}${told ? '; the daemon re-reads the destinations' : ''}`);
  }

  private async telegramView(): Promise<DestinationView> {
    const config = await this.telegramConfig.read();
    const info = await this.storage.stat(this.store.pathOf(TELEGRAM_CONFIG_DOCUMENT));
    const at = new Date(info?.mtimeMs ?? Date.now()).toISOString();
    return {
      id: TELEGRAM_DESTINATION_ID,
      kind: 'telegram',
      name: TELEGRAM_DESTINATION_NAME,
      url: config.serverUrl,
      streamKey: maskSecret(config.streamKey),
      enabled: true,
      createdAt: at,
      updatedAt: at,
      connection: this.connectionOf(TELEGRAM_DESTINATION_ID, true),
    };
  }

  private toView(d: StoredDestination): DestinationView {
    return {
      id: d.id,
      kind: 'rtmp',
      name: d.name,
      url: d.url,
      streamKey: maskSecret(d.streamKey),
      enabled: d.enabled,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      connection: this.connectionOf(d.id, d.enabled),
    };
  }

  /** The daemon's last word on it; before any: `disabled` while the daemon does not run or it is disabled, else `connecting`. */
  private connectionOf(id: string, enabled: boolean): DestinationConnection {
    const report = this.reports.get(id);
    if (report && (this.daemonRuns || report.state === 'disabled')) return structuredClone(report);
    if (!this.daemonRuns) return stoppedConnection(id, new Date().toISOString(), report);
    const since = new Date().toISOString();
    const base = { id, attempt: 0, since, uptimeSec: 0, bitrateKbps: 0, bytesSent: 0, reconnects: 0, lastError: null };
    return enabled ? { ...base, state: 'connecting' } : { ...base, state: 'disabled', reason: REASON_OPERATOR };
  }

  private find(destinations: StoredDestination[], id: string): StoredDestination {
    const found = destinations.find((d) => d.id === id);
    if (!found) throw new WaveError(404, 'destination_not_found', `No destination ${id}`);
    return found;
  }

  /** As for the Telegram config: a literal private, loopback or link-local address is refused where the operator sees it. */
  private assertOutboundAllowed(url: string | undefined): void {
    const why = url ? this.config.outbound.literalRefusal(url) : null;
    if (why) throw new WaveError(400, 'invalid_destination', [`url must not point at ${why}`]);
  }

  private assertNotTelegram(id: string): void {
    if (id === TELEGRAM_DESTINATION_ID)
      throw new WaveError(
        409,
        'telegram_destination',
        `The Telegram destination is the Telegram stream config: change it with ${TELEGRAM_CONFIG_ROUTE}`,
      );
  }

  private assertNameFree(destinations: StoredDestination[], name: string, except?: string): void {
    const taken =
      name.trim().toLowerCase() === TELEGRAM_DESTINATION_NAME.toLowerCase() ||
      destinations.some((d) => d.id !== except && d.name.trim().toLowerCase() === name.trim().toLowerCase());
    if (taken) throw new WaveError(409, 'destination_name_taken', `name ${name} is taken by another destination`);
  }
}

/** What a destination shows while the daemon does not run (its counters kept from the last report). */
function stoppedConnection(id: string, at: string, last?: DestinationConnection): DestinationConnection {
  return {
    id,
    state: 'disabled',
    attempt: 0,
    since: at,
    uptimeSec: 0,
    bitrateKbps: 0,
    bytesSent: last?.bytesSent ?? 0,
    reconnects: last?.reconnects ?? 0,
    lastError: last?.lastError ?? null,
    reason: REASON_DAEMON_STOPPED,
  };
}

/** `<slug of the name>-<6 hex>`, e.g. `youtube-1a2b3c` (DESTINATION_ID_PATTERN; never `telegram`). */
function newId(name: string, taken: StoredDestination[]): string {
  const slug =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'destination';
  for (;;) {
    const id = `${slug}-${randomBytes(3).toString('hex')}`;
    if (!taken.some((d) => d.id === id)) return id;
  }
}
