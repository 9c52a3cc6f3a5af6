import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { OutboundPolicy } from '../../../common/outbound-policy.js';
import { type AmfValue, decodeAmf0, encodeAmf0, isAmfObject } from './amf0.js';
import { ChunkDecoder, ChunkEncoder, MessageType, type RtmpMessage } from './chunks.js';

/**
 * An RTMP(S) client in the daemon's own process, so that the stream key (publishing to Telegram) or a
 * relay's key (playing from another ingest) is never an ffmpeg argument, which every local user can read
 * in /proc/<pid>/cmdline for as long as the broadcast lasts (ffmpeg 5.1 has no other way to take an RTMP
 * URL). ffmpeg only encodes or decodes FLV over a pipe; this speaks the protocol the way ffmpeg's own rtmp
 * protocol does (same handshake, same commands in the same order), which Telegram's ingest accepts.
 */

export interface RtmpUrl {
  protocol: 'rtmp' | 'rtmps';
  host: string;
  port: number;
  app: string;
  /** The stream name (playpath): the key, for a publish URL. */
  name: string;
  tcUrl: string;
}

/** Splits an RTMP URL into app and stream name as ffmpeg does (the app is one path segment, or two when the name follows a second). */
export function parseRtmpUrl(url: string): RtmpUrl {
  const parsed = new URL(url);
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol !== 'rtmp' && protocol !== 'rtmps') throw new Error(`not an RTMP URL (${protocol}:)`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : protocol === 'rtmps' ? 443 : 1935;
  // The path as written (WHATWG keeps percent-escapes); ffmpeg takes it byte for byte.
  const path = `${parsed.pathname}${parsed.search}`.slice(1);
  const first = path.indexOf('/');
  let app: string;
  let name: string;
  if (first < 0) {
    app = '';
    name = path;
  } else {
    const second = path.indexOf('/', first + 1);
    const colon = path.indexOf(':', first + 1);
    if (second < 0 || (colon >= 0 && colon < second)) {
      app = path.slice(0, first);
      name = path.slice(first + 1);
    } else {
      app = path.slice(0, second);
      name = path.slice(second + 1);
    }
  }
  if (!name.includes(':') && /\.(mp4|f4v)$/.test(name)) name = `mp4:${name}`;
  else if (name.endsWith('.flv')) name = name.slice(0, -4);
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return { protocol, host, port, app, name, tcUrl: `${protocol}://${shownHost}:${port}/${app}` };
}

const HANDSHAKE_BYTES = 1536;
/** The digest key ffmpeg and Flash players sign the client handshake with (a public constant of the protocol). */
const PLAYER_KEY = Buffer.from('Genuine Adobe Flash Player 001', 'latin1');
const OUT_CHUNK_SIZE = 4096;
const DEFAULT_ACK_WINDOW = 2_500_000;
/**
 * Publish mode: the window asked of the server (it acknowledges every this many bytes it received), so a publisher
 * learns within seconds that an ingest which keeps its socket open has stopped taking the stream (~3 s at 160 kb/s).
 */
export const PUBLISH_ACK_WINDOW = 64 * 1024;
const FLASH_VERSION = 'FMLE/3.0 (compatible; Wave)';

/** C0 + C1 as ffmpeg sends it: version 9.0.124.2 and an HMAC-SHA256 digest at the offset its first bytes choose. */
export function clientHandshake(): Buffer {
  const c1 = randomBytes(HANDSHAKE_BYTES);
  c1.writeUInt32BE(0, 0);
  Buffer.from([9, 0, 124, 2]).copy(c1, 4);
  const position = ((c1[8] + c1[9] + c1[10] + c1[11]) % 728) + 12;
  const digest = createHmac('sha256', PLAYER_KEY)
    .update(c1.subarray(0, position))
    .update(c1.subarray(position + 32))
    .digest();
  digest.copy(c1, position);
  return Buffer.concat([Buffer.from([3]), c1]);
}

export type RtmpMode = 'publish' | 'play';

export interface RtmpSessionOptions {
  url: string;
  mode: RtmpMode;
  /** Where the connection may go; null for Wave's own ingest (a host Wave chose, not one configured). */
  policy: OutboundPolicy | null;
  /** From connecting to publishing (or playing) started. */
  startTimeoutMs?: number;
  /** Play only: the server sent nothing for this long (ffmpeg's -rw_timeout the decoders used). */
  idleTimeoutMs?: number;
}

export interface RtmpSessionEvents {
  /** Publishing (or playing) has started. */
  ready: [];
  /** Audio, video, data or aggregate messages of the played stream. */
  media: [RtmpMessage];
  /** The socket can take more (after send() returned false). */
  drain: [];
  /** The session is over: `error` is set when it failed (with a `code` where one applies). */
  closed: [{ error?: Error & { code?: string } }];
}

export class RtmpSessionError extends Error {
  constructor(
    message: string,
    readonly code = 'rtmp_failed',
  ) {
    super(message);
  }
}

type Phase = 'connecting' | 'handshake' | 'connected' | 'ready' | 'closed';

/** One RTMP(S) connection that publishes or plays one stream. */
export class RtmpSession extends EventEmitter<RtmpSessionEvents> {
  readonly target: RtmpUrl;
  private socket: Socket | null = null;
  private phase: Phase = 'connecting';
  private handshake: Buffer = Buffer.alloc(0);
  private readonly encoder = new ChunkEncoder();
  private readonly decoder = new ChunkDecoder();
  private transactions = new Map<number, string>();
  private nextTransaction = 1;
  private streamId = 0;
  private bytesIn = 0;
  private ackedIn = 0;
  private ackWindow = DEFAULT_ACK_WINDOW;
  private sent = 0;
  private startTimer: NodeJS.Timeout | null = null;
  /** Bytes the server said it received (its Acknowledgements), counted past the 32-bit wrap; null until the first. */
  private acknowledged: number | null = null;
  private ackSpacing: number | null = null;
  /** publish (or play) was asked for: a close before it started is the ingest refusing the stream. */
  private streamRequested = false;

  constructor(private readonly options: RtmpSessionOptions) {
    super();
    this.target = parseRtmpUrl(options.url);
  }

  get isReady(): boolean {
    return this.phase === 'ready';
  }

  /** Bytes handed to the socket. */
  get bytesSent(): number {
    return this.sent;
  }

  /** Bytes the server acknowledged having received; null while it has acknowledged nothing (or never does). */
  get bytesAcknowledged(): number | null {
    return this.acknowledged;
  }

  /** The most bytes the server let pass between two acknowledgements (its window, whatever was asked); null before one. */
  get acknowledgementWindow(): number | null {
    return this.ackSpacing;
  }

  /** Bytes handed to the socket that it has not sent yet (a slow or stalled ingest makes this grow). */
  get bufferedBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  start(): void {
    const { host, port, protocol } = this.target;
    try {
      this.options.policy?.assertLiteralAllowed(host);
    } catch (error) {
      setImmediate(() => this.fail(error as Error));
      return;
    }
    const lookup = this.options.policy?.lookup;
    const socket =
      protocol === 'rtmps'
        ? // ffmpeg 5.1's rtmps never verified the ingest's certificate (tls_verify=0); kept as it was.
          tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, lookup })
        : netConnect({ host, port, lookup });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once(protocol === 'rtmps' ? 'secureConnect' : 'connect', () => {
      this.phase = 'handshake';
      this.write(clientHandshake());
    });
    socket.on('data', (data: Buffer) => {
      try {
        this.onData(data);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('drain', () => this.emit('drain'));
    // `on`, not `once`: a TLS socket may report a second error while it closes, and an unheard one would end the daemon.
    socket.on('error', (error: Error) => this.fail(error));
    socket.once('close', () =>
      this.fail(
        this.phase === 'ready'
          ? new RtmpSessionError('the ingest closed the connection')
          : this.streamRequested
            ? // nginx-rtmp's on_publish (and platforms) answer a refused key by closing, with no status.
              new RtmpSessionError(
                `the ingest closed the connection when asked to ${this.options.mode} (a refused stream key?)`,
                'ingest_refused',
              )
            : new RtmpSessionError('the ingest closed the connection before the stream started'),
      ),
    );
    if (this.options.mode === 'play' && this.options.idleTimeoutMs) {
      socket.setTimeout(this.options.idleTimeoutMs, () =>
        this.fail(new RtmpSessionError(`nothing received for ${Math.round(this.options.idleTimeoutMs! / 1000)} s`)),
      );
    }
    const startTimeout = this.options.startTimeoutMs ?? 15_000;
    this.startTimer = setTimeout(
      () =>
        this.fail(
          new RtmpSessionError(
            `no ${this.options.mode === 'publish' ? 'publish' : 'play'} start within ${Math.round(startTimeout / 1000)} s`,
          ),
        ),
      startTimeout,
    );
  }

  /** Publish mode: one audio, video or data message. False when the socket buffers (wait for `drain`). */
  send(type: number, timestamp: number, payload: Buffer): boolean {
    if (this.phase !== 'ready' || !this.socket) return true;
    const csid = type === MessageType.Video ? 6 : type === MessageType.Audio ? 4 : 5;
    return this.write(this.encoder.encode({ csid, type, streamId: this.streamId, timestamp, payload }));
  }

  /** Holds writes until uncork(): messages sent in between leave in one segment (a server reads them together). */
  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
  }

  /** Ends the session as ffmpeg does (FCUnpublish, deleteStream), then closes the socket. */
  close(): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'ready' && this.options.mode === 'publish') {
      this.command('FCUnpublish', null, this.target.name);
      this.command('deleteStream', null, this.streamId);
    }
    this.finish();
    this.socket?.end();
  }

  /** Closes at once. */
  destroy(): void {
    this.finish();
    this.socket?.destroy();
  }

  private finish(error?: Error): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (this.startTimer) clearTimeout(this.startTimer);
    this.emit('closed', { error });
  }

  private fail(error: Error): void {
    if (this.phase === 'closed') return;
    this.finish(error);
    this.socket?.destroy();
  }

  private write(data: Buffer): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) return true;
    this.sent += data.length;
    return socket.write(data);
  }

  private onData(data: Buffer): void {
    if (this.phase === 'handshake') {
      this.handshake = Buffer.concat([this.handshake, data]);
      if (this.handshake.length < 1 + 2 * HANDSHAKE_BYTES) return;
      if (this.handshake[0] !== 3) throw new RtmpSessionError(`the ingest answered the RTMP handshake with version ${this.handshake[0]}`);
      // C2 echoes S1 (ffmpeg does the same when publishing).
      this.write(this.handshake.subarray(1, 1 + HANDSHAKE_BYTES));
      const rest = this.handshake.subarray(1 + 2 * HANDSHAKE_BYTES);
      this.handshake = Buffer.alloc(0);
      this.phase = 'connected';
      this.afterHandshake();
      if (rest.length > 0) this.onData(rest);
      return;
    }
    if (this.phase !== 'connected' && this.phase !== 'ready') return;
    this.bytesIn += data.length;
    if (this.bytesIn - this.ackedIn >= this.ackWindow) {
      this.ackedIn = this.bytesIn;
      this.control(MessageType.Acknowledgement, u32(this.bytesIn >>> 0));
    }
    for (const message of this.decoder.push(data)) this.onMessage(message);
  }

  private afterHandshake(): void {
    const setChunkSize = u32(OUT_CHUNK_SIZE);
    this.write(this.encoder.encode({ csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: setChunkSize }));
    this.encoder.chunkSize = OUT_CHUNK_SIZE;
    if (this.options.mode === 'publish') this.control(MessageType.WindowAckSize, u32(PUBLISH_ACK_WINDOW));
    const { app, tcUrl } = this.target;
    const properties =
      this.options.mode === 'publish'
        ? { app, type: 'nonprivate', flashVer: FLASH_VERSION, tcUrl }
        : { app, flashVer: 'LNX 9,0,124,2', tcUrl, fpad: false, capabilities: 15, audioCodecs: 4071, videoCodecs: 252, videoFunction: 1 };
    this.command('connect', properties);
  }

  private command(name: string, ...args: AmfValue[]): void {
    const transaction = this.nextTransaction++;
    this.transactions.set(transaction, name);
    const onStream = name === 'publish' || name === 'play';
    this.write(
      this.encoder.encode({
        csid: onStream ? 8 : 3,
        type: MessageType.CommandAmf0,
        streamId: onStream ? this.streamId : 0,
        timestamp: 0,
        payload: encodeAmf0(name, transaction, ...args),
      }),
    );
  }

  private control(type: number, payload: Buffer): void {
    this.write(this.encoder.encode({ csid: 2, type, streamId: 0, timestamp: 0, payload }));
  }

  private onMessage(message: RtmpMessage): void {
    switch (message.type) {
      case MessageType.WindowAckSize:
        if (message.payload.length >= 4) this.ackWindow = message.payload.readUInt32BE(0) || DEFAULT_ACK_WINDOW;
        return;
      case MessageType.Acknowledgement:
        if (message.payload.length >= 4) {
          const sequence = message.payload.readUInt32BE(0);
          const previous = this.acknowledged ?? 0;
          // The sequence number wraps at 2^32 bytes.
          const delta = (sequence - (previous % 2 ** 32) + 2 ** 32) % 2 ** 32;
          this.acknowledged = previous + delta;
          this.ackSpacing = Math.max(this.ackSpacing ?? 0, delta);
        }
        return;
      case MessageType.UserControl:
        // Ping request: answer with the same timestamp, or the server drops the connection.
        if (message.payload.length >= 6 && message.payload.readUInt16BE(0) === 6) {
          const pong = Buffer.alloc(6);
          pong.writeUInt16BE(7, 0);
          message.payload.copy(pong, 2, 2, 6);
          this.control(MessageType.UserControl, pong);
        }
        return;
      case 17: // AMF3 command: a format byte, then AMF0
        return this.onCommand(decodeAmf0(message.payload.subarray(1)));
      case MessageType.CommandAmf0:
        return this.onCommand(decodeAmf0(message.payload));
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.Aggregate:
        if (this.options.mode === 'play') this.emit('media', message);
        return;
      default:
        return;
    }
  }

  private onCommand(values: AmfValue[]): void {
    const [name, transaction] = values;
    if (name === '_result' || name === '_error') {
      const method = typeof transaction === 'number' ? this.transactions.get(transaction) : undefined;
      if (typeof transaction === 'number') this.transactions.delete(transaction);
      if (!method) return;
      if (name === '_error') {
        // Adobe's historical commands may be unknown to a server; ffmpeg ignores their errors too.
        if (['releaseStream', 'FCPublish', 'FCSubscribe', '_checkbw'].includes(method)) return;
        throw new RtmpSessionError(`the ingest refused ${method}: ${describeStatus(values[3])}`, 'ingest_refused');
      }
      return this.onResult(method, values);
    }
    if (name === 'onStatus') {
      const info = values[3];
      const code = isAmfObject(info) && typeof info.code === 'string' ? info.code : '';
      if (isAmfObject(info) && info.level === 'error')
        throw new RtmpSessionError(`the ingest refused the stream: ${describeStatus(info)}`, 'ingest_refused');
      if (
        (code === 'NetStream.Publish.Start' && this.options.mode === 'publish') ||
        (code === 'NetStream.Play.Start' && this.options.mode === 'play')
      )
        this.becomeReady();
      if (this.options.mode === 'play' && (code === 'NetStream.Play.Stop' || code === 'NetStream.Play.UnpublishNotify')) {
        // ffmpeg ends its input here too: the relayed stream is over.
        this.finish(new RtmpSessionError('the stream stopped', 'stream_ended'));
        this.socket?.end();
      }
      return;
    }
    if (name === 'onBWDone') this.command('_checkbw', null);
    if (name === 'close') throw new RtmpSessionError('the ingest closed the session');
  }

  private onResult(method: string, values: AmfValue[]): void {
    if (method === 'connect') {
      if (this.options.mode === 'publish') {
        this.command('releaseStream', null, this.target.name);
        this.command('FCPublish', null, this.target.name);
      } else {
        this.control(MessageType.WindowAckSize, u32(DEFAULT_ACK_WINDOW));
      }
      this.command('createStream', null);
    } else if (method === 'createStream') {
      if (typeof values[3] === 'number') this.streamId = values[3];
      this.streamRequested = true;
      if (this.options.mode === 'publish') this.command('publish', null, this.target.name, 'live');
      else {
        this.command('play', null, this.target.name, -2000);
        // Set Buffer Length (3 s, ffmpeg's default).
        const buffer = Buffer.alloc(10);
        buffer.writeUInt16BE(3, 0);
        buffer.writeUInt32BE(this.streamId, 2);
        buffer.writeUInt32BE(3000, 6);
        this.control(MessageType.UserControl, buffer);
      }
    }
  }

  private becomeReady(): void {
    if (this.phase !== 'connected') return;
    this.phase = 'ready';
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
    this.emit('ready');
  }
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** A status object's code and description (never the stream name: servers echo it in descriptions). */
function describeStatus(info: AmfValue): string {
  if (!isAmfObject(info)) return 'no reason given';
  const code = typeof info.code === 'string' ? info.code : '';
  return code || 'no reason given';
}
