import { connect as netConnect, isIP, type Socket } from 'node:net';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { OutboundRefusedError, type OutboundPolicy } from '../../common/outbound-policy.js';

/**
 * An internet radio over HTTP(S), fetched by the daemon itself and piped into the decoder's stdin: the
 * URL's password and secret query parameters are never an ffmpeg argument (any local user reads those in
 * /proc/<pid>/cmdline), and every hop of a redirect is checked against the outbound policy before it is
 * connected to (ffmpeg followed redirects anywhere, loopback included).
 */

export const MAX_REDIRECTS = 5;
const HEADER_LIMIT_BYTES = 16 * 1024;

export class RadioError extends Error {
  constructor(
    message: string,
    readonly code = 'radio_failed',
  ) {
    super(message);
  }
}

export interface RadioResponse {
  /** The audio, from the first byte of the body on. */
  body: Readable;
  contentType: string;
  /** The URL that answered (after redirects), without credentials or query. */
  finalUrl: string;
  close: () => void;
}

export interface RadioOptions {
  policy: OutboundPolicy;
  /** Connecting, and then any silence of the connection, longer than this fails (ffmpeg's -rw_timeout was 15 s). */
  timeoutMs?: number;
}

/** Opens the radio stream, following up to five redirects, each one checked. */
export async function openRadio(url: string, options: RadioOptions): Promise<RadioResponse> {
  let current = new URL(url);
  // Credentials go to the host they were written for only, as curl does: a redirect elsewhere drops them.
  const credentials = current.username || current.password ? { origin: current.origin, header: basicAuth(current) } : null;
  for (let hop = 0; ; hop++) {
    const response = await request(current, credentials?.origin === current.origin ? credentials.header : null, options);
    if (response.status >= 300 && response.status < 400 && response.location !== undefined) {
      response.close();
      if (hop >= MAX_REDIRECTS) throw new RadioError(`more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(response.location, current);
      } catch {
        throw new RadioError('a redirect to an invalid URL');
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new RadioError(`a redirect to a ${next.protocol} URL (only http and https are followed)`);
      current = next;
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      response.close();
      throw new RadioError(`the radio answered HTTP ${response.status}`);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (/mpegurl|x-scpls|audio\/x-scpls|application\/pls/i.test(contentType)) {
      response.close();
      throw new RadioError(`the URL is a playlist (${contentType}), not a stream: use the stream URL it lists`, 'radio_playlist');
    }
    return { body: response.body, contentType, finalUrl: `${current.protocol}//${current.host}${current.pathname}`, close: response.close };
  }
}

function basicAuth(url: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}

interface HopResponse {
  status: number;
  headers: Map<string, string>;
  location?: string;
  body: Readable;
  close: () => void;
}

/** One GET over its own connection (HTTP/1.1, or Shoutcast's `ICY 200 OK`, which Node's own client refuses). */
function request(url: URL, authorization: string | null, options: RadioOptions): Promise<HopResponse> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  return new Promise((resolve, reject) => {
    try {
      options.policy.assertLiteralAllowed(host);
    } catch (error) {
      return reject(error);
    }
    const lookup = options.policy.lookup;
    const socket: Socket = secure
      ? // ffmpeg 5.1's https never verified certificates (tls_verify=0); kept as it was.
        tlsConnect({
          host,
          port,
          servername: isIP(host) ? undefined : host,
          rejectUnauthorized: false,
          lookup,
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect({ host, port, lookup });
    let settled = false;
    const fail = (error: Error) => {
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(error instanceof OutboundRefusedError || error instanceof RadioError ? error : new RadioError(error.message));
      }
    };
    socket.setTimeout(timeoutMs, () => {
      const error = new RadioError(`nothing received for ${Math.round(timeoutMs / 1000)} s`);
      if (settled) socket.destroy(error);
      else fail(error);
    });
    socket.on('error', fail); // `on`: a second error while closing must not go unheard
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const lines = [
        `GET ${url.pathname}${url.search} HTTP/1.1`,
        `Host: ${url.host}`,
        'User-Agent: Wave',
        'Accept: */*',
        'Accept-Encoding: identity',
        'Connection: close',
        ...(authorization ? [`Authorization: ${authorization}`] : []),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HEADER_LIMIT_BYTES) fail(new RadioError('the response headers are too long'));
        return;
      }
      socket.removeListener('data', onData);
      const [statusLine, ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = /^(?:HTTP\/1\.[01]|ICY) (\d{3})/.exec(statusLine);
      if (!status) return fail(new RadioError('the radio did not answer with HTTP'));
      const headers = new Map<string, string>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
      const body = chunked ? new ChunkedDecoder() : new PassThrough();
      body.on('error', () => socket.destroy());
      const endBody = () => {
        if (!body.writableEnded) body.end();
      };
      socket.on('data', (chunk: Buffer) => {
        if (!body.writableEnded) body.write(chunk);
      });
      socket.once('end', endBody);
      socket.once('close', endBody);
      socket.removeListener('error', fail);
      socket.on('error', (error) => body.destroy(error));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) body.write(rest);
      settled = true;
      resolve({ status: Number(status[1]), headers, location: headers.get('location'), body, close: () => socket.destroy() });
    };
    socket.on('data', onData);
  });
}

/** Transfer-Encoding: chunked (ffmpeg's own HTTP server and many proxies answer that way). */
class ChunkedDecoder extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes left in the current chunk; 0: its CRLF is next; -1: a size line is next. */
  private remaining = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.remaining < 0) {
        const lineEnd = this.buffer.indexOf('\r\n');
        if (lineEnd < 0) break;
        const size = Number.parseInt(this.buffer.subarray(0, lineEnd).toString('latin1').split(';')[0], 16);
        if (!Number.isFinite(size) || size < 0) return callback(new RadioError('a broken chunked response'));
        this.buffer = this.buffer.subarray(lineEnd + 2);
        if (size === 0) {
          this.push(null);
          return callback();
        }
        this.remaining = size;
      }
      if (this.remaining > 0) {
        const take = Math.min(this.buffer.length, this.remaining);
        if (take === 0) break;
        this.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) break;
      }
      if (this.buffer.length < 2) break;
      this.buffer = this.buffer.subarray(2);
      this.remaining = -1;
    }
    callback();
  }
}
