import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { join } from 'node:path';
import type { OutboundPolicy } from '../../common/outbound-policy.js';
import { TELEGRAM_DESTINATION_ID, type DestinationConnection, type DestinationState } from '../../contracts/destinations.js';
import { DESTINATIONS_DOCUMENT, DestinationsDocument } from '../destinations.document.js';
import { flattenValidationErrors } from '../../documents/document-store.service.js';
import type { StorageRepository } from '../../repositories/storage.repository.js';
import { publishUrl } from '../stream-url.js';
import type { TelegramConfigDocument } from '../telegram-config.document.js';
import { DestinationLink, type DestinationLinkOptions, type DestinationSettings, ingestTarget } from './destination-link.js';
import type { FlvTag } from './rtmp/flv.js';

/** What changes when the wanted destinations replace the running ones: by id, a changed URL or key restarts. */
export interface DestinationPlan {
  start: DestinationSettings[];
  stop: string[];
  restart: DestinationSettings[];
}

/** Pure: which links to start, stop and restart so the running ones become `wanted` (the others are not touched). */
export function planDestinations(running: readonly DestinationSettings[], wanted: readonly DestinationSettings[]): DestinationPlan {
  const byId = new Map(running.map((d) => [d.id, d]));
  const wantedIds = new Set(wanted.map((d) => d.id));
  return {
    start: wanted.filter((d) => !byId.has(d.id)),
    stop: running.filter((d) => !wantedIds.has(d.id)).map((d) => d.id),
    restart: wanted.filter((d) => {
      const current = byId.get(d.id);
      return current !== undefined && (current.publishUrl !== d.publishUrl || current.label !== d.label);
    }),
  };
}

/** The Telegram config's channel: always first, always enabled. */
export function telegramDestination(config: Pick<TelegramConfigDocument, 'serverUrl' | 'streamKey'>): DestinationSettings {
  return {
    id: TELEGRAM_DESTINATION_ID,
    label: `telegram (${config.serverUrl})`,
    publishUrl: publishUrl(config.serverUrl, config.streamKey),
    target: ingestTarget(config.serverUrl),
  };
}

/**
 * The enabled destinations of `stream-destinations.json` (none when it does not exist yet), or why the file is unusable
 * (then the running set stays as it is).
 */
export async function readDestinations(dataDir: string, storage: StorageRepository): Promise<DestinationSettings[] | string> {
  const path = join(dataDir, DESTINATIONS_DOCUMENT.file);
  let text: string;
  try {
    text = await storage.readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return `${DESTINATIONS_DOCUMENT.file} is not readable: ${(error as Error).message}`;
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (error) {
    return `${DESTINATIONS_DOCUMENT.file} is not JSON: ${(error as Error).message}`;
  }
  const document = plainToInstance(DestinationsDocument, stored);
  const problems = flattenValidationErrors(validateSync(document, { forbidUnknownValues: false }));
  if (problems.length > 0) return `${DESTINATIONS_DOCUMENT.file} is invalid: ${problems.join('; ')}`;
  return document.destinations
    .filter((d) => d.enabled)
    .map((d) => ({ id: d.id, label: `${d.name} (${d.url})`, publishUrl: publishUrl(d.url, d.streamKey), target: ingestTarget(d.url) }));
}

export interface SimulcastOptions {
  policy: OutboundPolicy | null;
  stallTimeoutMs: number;
  streamConfig: () => FlvTag[];
  onState: (connection: DestinationConnection, previous: DestinationState | null, link: DestinationLink) => void;
  /** Unit specs replace what a link is built from. */
  linkOptions?: Partial<DestinationLinkOptions>;
}

/** Every destination's link, fed the same tags; a change to one touches no other. */
export class Simulcast {
  private readonly links = new Map<string, DestinationLink>();

  constructor(private readonly options: SimulcastOptions) {}

  get(id: string): DestinationLink | undefined {
    return this.links.get(id);
  }

  connections(): DestinationConnection[] {
    return [...this.links.values()].map((link) => link.connection());
  }

  /** Makes the running links `wanted`; returns what it changed. */
  apply(wanted: readonly DestinationSettings[]): DestinationPlan {
    const plan = planDestinations(
      [...this.links.values()].map((link) => link.settings),
      wanted,
    );
    for (const id of plan.stop) this.remove(id);
    for (const settings of plan.restart) {
      this.remove(settings.id);
      this.add(settings);
    }
    for (const settings of plan.start) this.add(settings);
    return plan;
  }

  push(tags: FlvTag[]): void {
    for (const link of this.links.values()) link.push(tags);
  }

  closeAll(): void {
    for (const id of [...this.links.keys()]) this.remove(id);
  }

  private add(settings: DestinationSettings): void {
    const link = new DestinationLink({
      settings,
      policy: this.options.policy,
      streamConfig: this.options.streamConfig,
      stallTimeoutMs: this.options.stallTimeoutMs,
      ...this.options.linkOptions,
    });
    link.on('state', ({ connection, previous }) => this.options.onState(connection, previous, link));
    this.links.set(settings.id, link);
    link.start();
  }

  private remove(id: string): void {
    const link = this.links.get(id);
    if (!link) return;
    link.close();
    link.removeAllListeners();
    this.links.delete(id);
  }
}
