import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { randomBytes } from 'node:crypto';
import type { WaveEventMap } from '../bus/wave-events.js';
import { maskSecret, registerSecret } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import { AppConfig } from '../config/app-config.js';
import type { WebhookBody, WebhookDeliveryView, WebhookView } from '../contracts/webhooks.js';
import { type StoredDelivery, type StoredWebhook, WebhookRepository } from '../repositories/webhook.repository.js';
import type { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import {
  daemonStopped,
  destinationState,
  sourceChanged,
  telegramError,
  trackChanged,
  type WebhookEvent,
  waveError,
} from './webhook-events.js';

export const MAX_WEBHOOKS = 20;

/**
 * Webhooks: the subscriptions (CRUD) and the events they get. Each event becomes one delivery per enabled webhook
 * subscribed to its type, stored before anything is sent (so a crash or a receiver that is down loses none), and the
 * delivery worker sends them. Listeners never throw into the bus: a failed write is logged.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);
  /** Orders deliveries made in one millisecond (seq = ms × 1000 + this). */
  private counter = 0;
  private lastMs = 0;
  /**
   * The live DJ on the air (their label), as the daemon's source reports said: what tells a DJ's end from the
   * programme changing. Wave restarted mid-show learns it again from the next report.
   */
  private djOnAir: string | null = null;

  constructor(
    private readonly repository: WebhookRepository,
    private readonly worker: WebhookDeliveryWorker,
    private readonly config: AppConfig,
  ) {}

  async list(): Promise<WebhookView[]> {
    return (await this.repository.list()).map((w) => this.view(w));
  }

  async get(id: string): Promise<WebhookView> {
    return this.view(await this.find(id));
  }

  async create(body: CreateWebhookDto): Promise<WebhookView> {
    this.assertAllowed(body.url);
    if ((await this.repository.count()) >= MAX_WEBHOOKS)
      throw new WaveError(409, 'webhooks_limit', `At most ${MAX_WEBHOOKS} webhooks: delete one first`);
    const now = new Date().toISOString();
    const webhook: StoredWebhook = {
      id: `wh_${randomBytes(6).toString('hex')}`,
      url: body.url,
      description: body.description ?? '',
      events: [...body.events],
      secret: body.secret ?? newSecret(),
      enabled: body.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.insert(webhook);
    registerSecret(webhook.secret);
    return this.view(webhook, { showSecret: true });
  }

  async update(id: string, body: UpdateWebhookDto): Promise<WebhookView> {
    const current = await this.find(id);
    if (body.url !== undefined) this.assertAllowed(body.url);
    const next: StoredWebhook = {
      ...current,
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.events !== undefined ? { events: [...body.events] } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      updatedAt: new Date().toISOString(),
    };
    await this.repository.update(next);
    return this.view(next);
  }

  async rotateSecret(id: string): Promise<WebhookView> {
    const next = { ...(await this.find(id)), secret: newSecret(), updatedAt: new Date().toISOString() };
    await this.repository.update(next);
    registerSecret(next.secret);
    return this.view(next, { showSecret: true });
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw notFound(id);
  }

  /** Queues a `ping` for this webhook alone (subscribed or not): a receiver's first check. */
  async test(id: string): Promise<WebhookDeliveryView> {
    const webhook = await this.find(id);
    const [delivery] = await this.enqueue({ type: 'ping', timestamp: new Date().toISOString(), data: { webhookId: webhook.id } }, [
      webhook,
    ]);
    return deliveryView(delivery);
  }

  async deliveries(id: string, limit = 50, status?: StoredDelivery['status']): Promise<WebhookDeliveryView[]> {
    await this.find(id);
    return (await this.repository.deliveries(id, limit, status)).map(deliveryView);
  }

  @OnEvent('track.changed')
  onTrackChanged(event: WaveEventMap['track.changed']): Promise<void> {
    return this.raise(trackChanged(event));
  }

  @OnEvent('telegram.source')
  onSource(event: WaveEventMap['telegram.source']): Promise<void> {
    const { events, onAir } = sourceChanged(this.djOnAir, event);
    this.djOnAir = onAir;
    return this.raise(events);
  }

  @OnEvent('telegram.daemon.stopped')
  onDaemonStopped(event: WaveEventMap['telegram.daemon.stopped']): Promise<void> {
    const events = daemonStopped(this.djOnAir, event.at);
    this.djOnAir = null;
    return this.raise(events);
  }

  @OnEvent('stream.destination.state')
  onDestination(event: WaveEventMap['stream.destination.state']): Promise<void> {
    return this.raise(destinationState(event));
  }

  @OnEvent('telegram.error')
  onTelegramError(event: WaveEventMap['telegram.error']): Promise<void> {
    return this.raise(telegramError(event));
  }

  @OnEvent('wave.error')
  onWaveError(event: WaveEventMap['wave.error']): Promise<void> {
    return this.raise(waveError(event));
  }

  /** Stores one delivery per subscribed webhook for each event, in order; never throws (the bus must not fail). */
  private async raise(events: WebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      const webhooks = (await this.repository.list()).filter((w) => w.enabled);
      for (const event of events) {
        const subscribed = webhooks.filter((w) => w.events.includes(event.type));
        if (subscribed.length > 0) await this.enqueue(event, subscribed);
      }
    } catch (error) {
      this.logger.error(`webhook deliveries not queued: ${(error as Error).message}`);
    }
  }

  private async enqueue(event: WebhookEvent, webhooks: StoredWebhook[]): Promise<StoredDelivery[]> {
    const createdAt = new Date().toISOString();
    const deliveries = webhooks.map((webhook) => {
      const id = `msg_${randomBytes(12).toString('hex')}`;
      const body: WebhookBody = { id, type: event.type, timestamp: event.timestamp, data: event.data };
      return { id, webhookId: webhook.id, seq: this.nextSeq(), type: event.type, body: JSON.stringify(body), createdAt, dueAt: Date.now() };
    });
    await this.repository.enqueue(deliveries);
    this.worker.wake();
    return deliveries.map((d) => ({
      ...d,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: d.dueAt,
      lastAttemptAt: null,
      responseStatus: null,
      error: null,
      deliveredAt: null,
    }));
  }

  private nextSeq(): number {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.counter = 0;
    }
    return ms * 1000 + Math.min(999, this.counter++);
  }

  private async find(id: string): Promise<StoredWebhook> {
    const webhook = await this.repository.get(id);
    if (!webhook) throw notFound(id);
    return webhook;
  }

  /** A URL at a literal address the outbound policy refuses is refused now (a name is checked when connecting). */
  private assertAllowed(url: string): void {
    try {
      this.config.outbound.assertLiteralAllowed(new URL(url).hostname.replace(/^\[(.*)\]$/, '$1'));
    } catch (error) {
      throw new WaveError(400, 'validation_failed', [`url: ${(error as Error).message} (allow it with WAVE_OUTBOUND_ALLOW)`]);
    }
  }

  private view(webhook: StoredWebhook, options: { showSecret?: boolean } = {}): WebhookView {
    return {
      id: webhook.id,
      url: webhook.url,
      description: webhook.description,
      events: webhook.events,
      enabled: webhook.enabled,
      secret: options.showSecret ? webhook.secret : `whsec_${maskSecret(webhook.secret) ?? ''}`,
      createdAt: webhook.createdAt,
      updatedAt: webhook.updatedAt,
    };
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function notFound(id: string): WaveError {
  return new WaveError(404, 'webhook_not_found', `No webhook ${JSON.stringify(id)}`);
}

export function deliveryView(d: StoredDelivery): WebhookDeliveryView {
  return {
    id: d.id,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === 'pending' ? new Date(d.nextAttemptAt).toISOString() : null,
    responseStatus: d.responseStatus,
    error: d.error,
    deliveredAt: d.deliveredAt,
  };
}
