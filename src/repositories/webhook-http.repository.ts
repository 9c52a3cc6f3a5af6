import { Injectable } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OutboundPolicy } from '../common/outbound-policy.js';

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: OutboundPolicy;
}

/** The receiver's answer: its status and the start of its body (at most MAX_RESPONSE_BYTES). */
export interface WebhookResponse {
  status: number;
  body: string;
}

/** A POST that got no answer: `code` is `outbound_refused`, `timeout` or the socket's (`ECONNREFUSED`, …). */
export class WebhookPostError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const MAX_RESPONSE_BYTES = 4096;

/**
 * HTTP(S) POSTs to webhook receivers: one bounded call each (a timeout over the whole exchange, a capped response
 * read), connecting only where the outbound policy allows, checked on the resolved address (no DNS rebinding).
 */
@Injectable()
export class WebhookHttpRepository {
  post(post: WebhookPost): Promise<WebhookResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(post.url);
      try {
        post.policy.assertLiteralAllowed(url.hostname.replace(/^\[(.*)\]$/, '$1'));
      } catch (error) {
        return reject(new WebhookPostError((error as Error).message, 'outbound_refused'));
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(post.body), ...post.headers },
          lookup: post.policy.lookup,
          timeout: post.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
            size += chunk.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) => reject(new WebhookPostError(error.message, 'response_failed')));
        },
      );
      const timer = setTimeout(
        () => req.destroy(new WebhookPostError(`no answer within ${post.timeoutMs / 1000} s`, 'timeout')),
        post.timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new WebhookPostError(`no answer within ${post.timeoutMs / 1000} s`, 'timeout')));
      req.on('error', (error: Error & { code?: string }) =>
        reject(error instanceof WebhookPostError ? error : new WebhookPostError(error.message, error.code ?? 'request_failed')),
      );
      req.end(post.body);
    });
  }
}
