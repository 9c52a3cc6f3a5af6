import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { OutboundPolicy } from '../../../common/outbound-policy.js';
import { encodeAmf0 } from './amf0.js';
import { MessageType, type RtmpMessage } from './chunks.js';
import { aggregateTags, type FlvTag, FlvReader, FlvTagType, flvHeader, flvTag, isKeyframe, isStreamConfig } from './flv.js';
import { RtmpSession } from './rtmp-session.js';

export interface FlvPublisherEvents {
  /** The ingest accepted the publish: the stream is live from here on. */
  published: [];
  closed: [{ error?: Error & { code?: string } }];
}

/**
 * Publishes the FLV an encoder writes (its `pipe:3`) to an RTMP(S) URL. Until the ingest has accepted the
 * publish, frames are dropped and only the codec configuration is kept (sent first once it is live), so a
 * slow connect never queues stale audio; afterwards a busy socket pauses the encoder's output, so a
 * stalled ingest stalls the encoder's progress as it did when ffmpeg held the connection itself.
 */
export class FlvPublisher extends EventEmitter<FlvPublisherEvents> {
  private readonly session: RtmpSession;
  private readonly reader = new FlvReader();
  private readonly config = new Map<string, FlvTag>();
  private waitingForKeyframe = true;

  constructor(
    url: string,
    policy: OutboundPolicy | null,
    private readonly input: Readable,
    startTimeoutMs?: number,
  ) {
    super();
    this.session = new RtmpSession({ url, mode: 'publish', policy, startTimeoutMs });
    this.session.once('ready', () => {
      // Metadata and codec headers together, as ffmpeg sends them: nginx-rtmp shows a stream's codecs from
      // the metadata but its sample rate only from the audio header, and /stat must not catch half of it.
      this.session.cork();
      for (const tag of this.config.values()) this.send(tag);
      this.session.uncork();
      this.emit('published');
    });
    this.session.on('drain', () => this.input.resume());
    this.session.once('closed', (outcome) => {
      this.input.removeListener('data', this.onData);
      this.input.resume(); // keep draining, so the encoder never blocks on a pipe nobody reads
      this.emit('closed', outcome);
    });
    this.input.on('data', this.onData);
  }

  get bytesSent(): number {
    return this.session.bytesSent;
  }

  start(): void {
    this.session.start();
  }

  close(): void {
    this.session.close();
  }

  destroy(): void {
    this.session.destroy();
  }

  private readonly onData = (data: Buffer): void => {
    let tags: FlvTag[];
    try {
      tags = this.reader.push(data);
    } catch (error) {
      this.session.destroy();
      this.emit('closed', { error: error as Error });
      return;
    }
    this.session.cork();
    try {
      this.sendAll(tags);
    } finally {
      this.session.uncork();
    }
  };

  private sendAll(tags: FlvTag[]): void {
    for (const tag of tags) {
      if (isStreamConfig(tag)) {
        this.config.set(tag.type === FlvTagType.Script ? 'script' : String(tag.type), tag);
        if (this.session.isReady) this.send(tag);
        continue;
      }
      if (!this.session.isReady) continue;
      if (tag.type === FlvTagType.Video && this.waitingForKeyframe) {
        if (!isKeyframe(tag)) continue;
        this.waitingForKeyframe = false;
      }
      if (!this.send(tag)) this.input.pause();
    }
  }

  private send(tag: FlvTag): boolean {
    // Metadata goes out as ffmpeg sends it: @setDataFrame("onMetaData", …).
    const payload = tag.type === FlvTagType.Script ? Buffer.concat([encodeAmf0('@setDataFrame'), tag.data]) : tag.data;
    const type = tag.type === FlvTagType.Script ? MessageType.DataAmf0 : tag.type;
    return this.session.send(type, tag.timestamp, payload);
  }
}

export interface FlvPlayerEvents {
  closed: [{ error?: Error & { code?: string } }];
}

/**
 * Plays an RTMP(S) stream and writes it as FLV into `output` (a decoder's stdin), for a relay or radio
 * URL whose key must not be an ffmpeg argument.
 */
export class FlvPlayer extends EventEmitter<FlvPlayerEvents> {
  private readonly session: RtmpSession;
  private headerWritten = false;

  constructor(
    url: string,
    policy: OutboundPolicy | null,
    private readonly output: Writable,
    options: { idleTimeoutMs?: number; startTimeoutMs?: number } = {},
  ) {
    super();
    this.session = new RtmpSession({
      url,
      mode: 'play',
      policy,
      idleTimeoutMs: options.idleTimeoutMs ?? 15_000,
      startTimeoutMs: options.startTimeoutMs,
    });
    this.session.on('media', (message) => this.onMedia(message));
    this.session.once('closed', (outcome) => this.emit('closed', outcome));
    output.on('error', () => this.session.destroy());
  }

  start(): void {
    this.session.start();
  }

  destroy(): void {
    this.session.destroy();
  }

  private onMedia(message: RtmpMessage): void {
    const tags: FlvTag[] =
      message.type === MessageType.Aggregate
        ? aggregateTags(message.payload, message.timestamp)
        : [{ type: message.type, timestamp: message.timestamp, data: message.payload }];
    for (const tag of tags) {
      const data = tag.type === FlvTagType.Script ? withoutSetDataFrame(tag.data) : tag.data;
      if (tag.type !== FlvTagType.Audio && tag.type !== FlvTagType.Video && tag.type !== FlvTagType.Script) continue;
      if (!this.headerWritten) {
        this.headerWritten = true;
        this.output.write(flvHeader());
      }
      this.output.write(flvTag({ ...tag, data }));
    }
  }
}

/** A data message that starts with "@setDataFrame" carries the FLV script tag after it. */
function withoutSetDataFrame(data: Buffer): Buffer {
  const marker = encodeAmf0('@setDataFrame');
  return data.length > marker.length && data.subarray(0, marker.length).equals(marker) ? data.subarray(marker.length) : data;
}
