import { Injectable } from '@nestjs/common';
import { WaveError } from '../common/wave-error.js';

/** Where one nginx-rtmp serves its `/stat`, and the bearer secret it asks for (none: an open /stat). */
export interface NginxStatTarget {
  host: string;
  port: number;
  secret?: string;
}

/** nginx did not answer /stat: nothing listens there, the connection failed, or it refused (403, 5xx). */
export class NginxStatUnavailableError extends WaveError {
  constructor(where: string, cause: string) {
    super(503, 'nginx_stat_unavailable', `nginx /stat ${cause} (${where})`);
  }
}

/** nginx took longer than its bound to answer /stat (a container paused, an engine hung under it). */
export class NginxStatTimeoutError extends WaveError {
  constructor(where: string, ms: number) {
    super(504, 'nginx_stat_timeout', `nginx /stat did not answer within ${ms / 1000} s (${where})`);
  }
}

/** How long one /stat read may take; nginx answers it from memory in milliseconds. */
const STAT_TIMEOUT_MS = 1500;

/**
 * The one wrapper around nginx-rtmp's HTTP `/stat` (`rtmp_stat all`): the XML document, as text, read
 * with the container's bearer secret. Every read is bounded (STAT_TIMEOUT_MS); failures are
 * NginxStatUnavailableError (503 nginx_stat_unavailable, the message says `answered 403` and so on) or
 * NginxStatTimeoutError (504 nginx_stat_timeout). Parsing is the service's (parseNginxStat, pure).
 */
@Injectable()
export class NginxStatRepository {
  async read({ host, port, secret }: NginxStatTarget): Promise<string> {
    const where = `http://${host}:${port}/stat`;
    const headers: Record<string, string> = secret ? { authorization: `Bearer ${secret}` } : {};
    let response: Response;
    try {
      response = await fetch(where, { headers, signal: AbortSignal.timeout(STAT_TIMEOUT_MS) });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new NginxStatTimeoutError(where, STAT_TIMEOUT_MS);
      throw new NginxStatUnavailableError(where, `does not answer: ${causeOf(error)}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new NginxStatUnavailableError(where, `answered ${response.status}`);
    }
    try {
      return await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new NginxStatTimeoutError(where, STAT_TIMEOUT_MS);
      throw new NginxStatUnavailableError(where, `broke off its answer: ${causeOf(error)}`);
    }
  }
}

/** undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, ECONNRESET, …). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
