/** Webhooks: what integrations subscribe to and what the API shows. No type here carries a secret in full. */

/** The events a webhook may subscribe to (`ping` is sent by POST /api/webhooks/:id/test only). */
export const WEBHOOK_EVENTS = ['track.changed', 'dj.live', 'dj.ended', 'stream.up', 'stream.down', 'error'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number] | 'ping';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookView {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Masked (`whsec_****abcd`); in full only in the answers of POST /api/webhooks and …/rotate-secret. */
  secret: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  type: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  responseStatus: number | null;
  error: string | null;
  deliveredAt: string | null;
}

/** The JSON body of every delivery (signed as sent, Standard Webhooks headers). */
export interface WebhookBody {
  /** The delivery's id, also its `webhook-id` header: a receiver drops one it has seen (retries repeat it). */
  id: string;
  type: WebhookEventType;
  /** When the event happened (ISO). */
  timestamp: string;
  data: Record<string, unknown>;
}
