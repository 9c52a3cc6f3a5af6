import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { redact } from '../common/redaction.js';
import { WaveEvents } from '../bus/wave-events.js';
import { AppConfig } from '../config/app-config.js';
import { WebhookHttpRepository, WebhookPostError } from '../repositories/webhook-http.repository.js';
import { type StoredDelivery, WebhookRepository } from '../repositories/webhook.repository.js';
import { GIVE_UP_AFTER_MS, retryDelayMs } from './webhook-events.js';

/** Answer wait per attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How long a claimed delivery is this instance's (longer than an attempt can take). */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5000;
/** Due retries are looked for this often (new deliveries wake the worker at once). */
const POLL_MS = 500;

/** The Standard Webhooks headers for `body` (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,…`). */
export function signedHeaders(secret: string, id: string, body: string, at: Date): Record<string, string> {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
    'user-agent': 'Wave-Webhooks/1',
  };
}

/**
 * Sends the queued deliveries: each webhook's strictly in order (the oldest pending first; a failing one holds the
 * later ones of its webhook until it is delivered or given up), webhooks side by side, never on the bus's time.
 * A failure is retried after 1 s, 2 s, 4 s … 30 s; one still failing 24 h after its event is `failed` and the next goes.
 * Claims are leases in the database, so instances sharing it never send one delivery twice.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly repository: WebhookRepository,
    private readonly http: WebhookHttpRepository,
    private readonly config: AppConfig,
    private readonly events: WaveEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** New deliveries were queued: look now. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass().finally(() => {
        this.running = null;
        this.schedule(this.again ? 0 : POLL_MS);
        this.again = false;
      });
    }, ms);
  }

  /** Starts every webhook's head delivery that is due and not in flight; does not wait for the answers. */
  private async pass(): Promise<void> {
    let heads: StoredDelivery[];
    try {
      heads = await this.repository.heads();
    } catch (error) {
      this.logger.warn(`webhook queue not read: ${(error as Error).message}`);
      return;
    }
    const now = Date.now();
    for (const delivery of heads) {
      if (this.stopped) return;
      if (delivery.nextAttemptAt > now || this.inFlight.has(delivery.webhookId)) continue;
      if (!(await this.repository.claim(delivery.id, now, now + LEASE_MS).catch(() => false))) continue;
      this.inFlight.add(delivery.webhookId);
      void this.attempt(delivery).finally(() => {
        this.inFlight.delete(delivery.webhookId);
        this.wake();
      });
    }
  }

  private async attempt(delivery: StoredDelivery): Promise<void> {
    const webhook = await this.repository.get(delivery.webhookId).catch(() => null);
    if (!webhook) return;
    const at = new Date();
    const attempts = delivery.attempts + 1;
    let responseStatus: number | null = null;
    let error: string | null = null;
    try {
      const response = await this.http.post({
        url: webhook.url,
        headers: signedHeaders(webhook.secret, delivery.id, delivery.body, at),
        body: delivery.body,
        timeoutMs: DELIVERY_TIMEOUT_MS,
        policy: this.config.outbound,
      });
      responseStatus = response.status;
      if (response.status < 200 || response.status >= 300)
        error = `answered ${response.status}${response.body ? `: ${redact(response.body.slice(0, 200))}` : ''}`;
    } catch (failure) {
      const code = failure instanceof WebhookPostError ? failure.code : 'request_failed';
      error = `${code}: ${redact((failure as Error).message)}`;
    }
    const delivered = error === null;
    const givenUp = !delivered && at.getTime() - Date.parse(delivery.createdAt) >= GIVE_UP_AFTER_MS;
    try {
      await this.repository.recordAttempt(delivery.id, {
        status: delivered ? 'delivered' : givenUp ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: delivered || givenUp ? at.getTime() : at.getTime() + retryDelayMs(attempts),
        lastAttemptAt: at.toISOString(),
        responseStatus,
        error,
        deliveredAt: delivered ? new Date().toISOString() : null,
      });
    } catch (failure) {
      // The lease runs out and the delivery is tried again: at least once, never lost.
      this.logger.warn(`webhook delivery ${delivery.id} not recorded: ${(failure as Error).message}`);
    }
    this.events.emit('webhook.attempted', {
      webhookId: webhook.id,
      type: delivery.type,
      outcome: delivered ? 'delivered' : givenUp ? 'failed' : 'retrying',
      at: at.toISOString(),
    });
    if (!delivered)
      this.logger.warn(`webhook ${webhook.id} delivery ${delivery.id} (${delivery.type}) attempt ${attempts} failed: ${error}`);
  }
}
