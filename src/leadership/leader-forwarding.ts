import replyFrom from '@fastify/reply-from';
import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { LeadershipService } from './leadership.service.js';

/** Marks a request one instance forwarded to the leader: it is never forwarded again (no loops between followers). */
const FORWARDED_BY_HEADER = 'x-wave-forwarded-by';
/** Upload bodies stream through; the leader's own limits and timeouts apply behind this. */
const FORWARD_TIMEOUT_MS = 120_000;

/**
 * Reads answered from the station's live state, which only the leader follows (the daemon's reports, now playing,
 * the ingest's publishers, a scan or analysis job in progress); other reads (library, programme, history, webhooks)
 * come from the shared database and any instance answers them.
 */
const STATION_READS = [
  '/api/stream',
  '/api/streaming',
  '/api/monitoring',
  '/api/tracks/now-playing',
  '/api/tracks/scan',
  '/api/tracks/analysis',
];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const logger = new Logger('LeaderForwarding');

/**
 * Whether a follower hands this request to the leader: every change under /api (so one instance acts, in one order)
 * and the reads of the station's live state. Health, metrics and the API docs are each instance's own.
 */
export function forwardedToLeader(method: string, url: string): boolean {
  const path = url.split('?')[0];
  if (!path.startsWith('/api/') || path.startsWith('/api/docs')) return false;
  if (!READ_METHODS.has(method)) return true;
  return STATION_READS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Followers answer station commands by forwarding them to the leader (@fastify/reply-from streams the body both
 * ways, uploads included); a request that reaches a follower while no leader is known is refused with 503
 * `no_leader` and Retry-After, never half done. Runs before Nest's guards: the leader authenticates and validates.
 */
export async function registerLeaderForwarding(fastify: FastifyInstance, leadership: LeadershipService): Promise<void> {
  await fastify.register(replyFrom, { undici: { connections: 32, headersTimeout: FORWARD_TIMEOUT_MS, bodyTimeout: FORWARD_TIMEOUT_MS } });
  fastify.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (leadership.isLeader || !forwardedToLeader(request.method, request.url)) return;
    const leader = leadership.leader;
    if (!leader || request.headers[FORWARDED_BY_HEADER]) {
      return refuse(reply, request, 'no_leader', 'No Wave instance leads the station right now (one takes over within seconds); try again');
    }
    // A multipart body is still unread: hand its stream on as it comes (reply-from streams a body that is a stream).
    if (request.isMultipart()) request.body = request.raw;
    return reply.from(`${leader.url}${request.url}`, {
      // As a proxy does: the leader believes it where WAVE_TRUST_PROXY names this instance, so limits stay per client.
      rewriteRequestHeaders: (_request, headers) => ({
        ...headers,
        'x-forwarded-for': forwardedFor(request.headers['x-forwarded-for'], request.socket.remoteAddress),
        [FORWARDED_BY_HEADER]: leadership.instanceId,
      }),
      onError: (failed, { error }) => {
        logger.warn(`could not forward ${request.method} ${request.url.split('?')[0]} to the leader at ${leader.url}: ${error.message}`);
        void refuse(
          failed,
          request,
          'leader_unreachable',
          `The instance that leads the station (${leader.instanceId}) did not answer; try again`,
        );
      },
    });
  });
}

/** The X-Forwarded-For chain with the address this hop came from appended. */
export function forwardedFor(chain: string | string[] | undefined, from: string | undefined): string {
  const hops = (Array.isArray(chain) ? chain : chain ? [chain] : [])
    .flatMap((h) => h.split(','))
    .map((h) => h.trim())
    .filter(Boolean);
  if (from) hops.push(from);
  return hops.join(', ');
}

/** The part of a reply `refuse` uses (reply-from's onError hands over a reply of a wider server type). */
interface Refusable {
  code(status: number): { header(name: string, value: string): { send(body: unknown): unknown } };
}

function refuse(reply: Refusable, request: FastifyRequest, code: string, message: string): unknown {
  return reply
    .code(503)
    .header('retry-after', '2')
    .send({ statusCode: 503, error: STATUS_CODES[503], code, message: [message], requestId: request.id });
}
