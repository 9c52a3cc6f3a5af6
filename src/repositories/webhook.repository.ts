import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { WebhookDeliveryStatus, WebhookEventType } from '../contracts/webhooks.js';
import { Database, databaseError } from '../database/database.js';
import type { WaveDatabase } from '../database/schema.js';

export interface StoredWebhook {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  secret: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface StoredDelivery {
  id: string;
  webhookId: string;
  seq: number;
  type: WebhookEventType;
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  seq: number;
  type: WebhookEventType;
  body: string;
  createdAt: string;
  dueAt: number;
}

export interface AttemptOutcome {
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: string;
  responseStatus: number | null;
  error: string | null;
  deliveredAt: string | null;
}

/** The webhooks and their delivery queue (`webhooks`, `webhook_deliveries`): the only code that queries them. */
@Injectable()
export class WebhookRepository {
  private readonly db: Kysely<WaveDatabase>;

  constructor(database: Database) {
    this.db = database.db;
  }

  async list(): Promise<StoredWebhook[]> {
    return this.run(async () =>
      (await this.db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute()).map(toWebhook),
    );
  }

  async get(id: string): Promise<StoredWebhook | null> {
    return this.run(async () => {
      const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toWebhook(row) : null;
    });
  }

  async count(): Promise<number> {
    return this.run(async () =>
      Number(
        (
          await this.db
            .selectFrom('webhooks')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    );
  }

  async insert(webhook: StoredWebhook): Promise<void> {
    await this.run(() =>
      this.db
        .insertInto('webhooks')
        .values({
          id: webhook.id,
          url: webhook.url,
          description: webhook.description,
          events: JSON.stringify(webhook.events),
          secret: webhook.secret,
          enabled: webhook.enabled ? 1 : 0,
          created_at: webhook.createdAt,
          updated_at: webhook.updatedAt,
        })
        .execute(),
    );
  }

  async update(webhook: StoredWebhook): Promise<void> {
    await this.run(() =>
      this.db
        .updateTable('webhooks')
        .set({
          url: webhook.url,
          description: webhook.description,
          events: JSON.stringify(webhook.events),
          secret: webhook.secret,
          enabled: webhook.enabled ? 1 : 0,
          updated_at: webhook.updatedAt,
        })
        .where('id', '=', webhook.id)
        .execute(),
    );
  }

  /** Deletes it and its deliveries; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
        return trx.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
      });
      return Number(result.numDeletedRows) > 0;
    });
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.run(() =>
      this.db
        .insertInto('webhook_deliveries')
        .values(
          deliveries.map((d) => ({
            id: d.id,
            webhook_id: d.webhookId,
            seq: d.seq,
            event_type: d.type,
            body: d.body,
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: d.dueAt,
            lease_until: 0,
            created_at: d.createdAt,
          })),
        )
        .execute(),
    );
  }

  /**
   * Each enabled webhook's first pending delivery (the one that must go before any later one of the same webhook).
   * A disabled webhook's deliveries wait, in order, until it is enabled again (or they grow too old and fail).
   */
  async heads(): Promise<StoredDelivery[]> {
    return this.run(async () => {
      const firsts = this.db
        .selectFrom('webhook_deliveries')
        .select(['webhook_id', (eb) => eb.fn.min('seq').as('seq')])
        .where('status', '=', 'pending')
        .groupBy('webhook_id')
        .as('firsts');
      const rows = await this.db
        .selectFrom('webhook_deliveries as d')
        .innerJoin(firsts, (join) => join.onRef('firsts.webhook_id', '=', 'd.webhook_id').onRef('firsts.seq', '=', 'd.seq'))
        .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
        .where('w.enabled', '=', 1)
        .selectAll('d')
        .execute();
      return rows.map(toDelivery);
    });
  }

  /** Takes `id` for this instance until `leaseUntil` (ms); false when another holds it or it is no longer pending. */
  async claim(id: string, now: number, leaseUntil: number): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db
        .updateTable('webhook_deliveries')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('lease_until', '<', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  async recordAttempt(id: string, outcome: AttemptOutcome): Promise<void> {
    await this.run(() =>
      this.db
        .updateTable('webhook_deliveries')
        .set({
          status: outcome.status,
          attempts: outcome.attempts,
          next_attempt_at: outcome.nextAttemptAt,
          lease_until: 0,
          last_attempt_at: outcome.lastAttemptAt,
          response_status: outcome.responseStatus,
          error: outcome.error,
          delivered_at: outcome.deliveredAt,
        })
        .where('id', '=', id)
        .execute(),
    );
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: string, limit: number, status?: WebhookDeliveryStatus): Promise<StoredDelivery[]> {
    return this.run(async () => {
      let query = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
      if (status) query = query.where('status', '=', status);
      return (await query.orderBy('seq', 'desc').limit(limit).execute()).map(toDelivery);
    });
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw databaseError(error);
    }
  }
}

function toWebhook(row: WaveDatabase['webhooks']): StoredWebhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEventType[],
    secret: row.secret,
    enabled: Number(row.enabled) === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDelivery(row: WaveDatabase['webhook_deliveries']): StoredDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    seq: Number(row.seq),
    type: row.event_type as WebhookEventType,
    body: row.body,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastAttemptAt: row.last_attempt_at,
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    error: row.error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
