/** RTMP message types this client sends or reads. */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf0: 18,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

export interface RtmpMessage {
  /** Chunk stream id. */
  csid: number;
  type: number;
  /** Message stream id (0 for the connection, else createStream's answer). */
  streamId: number;
  /** Milliseconds, 32 bits (wraps at 2^32). */
  timestamp: number;
  payload: Buffer;
}

const EXTENDED = 0xffffff;
export const MAX_CHUNK_SIZE = 0x7fffffff;
/** A message longer than this from the server is a broken stream, not something to buffer. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class ChunkStreamError extends Error {}

function basicHeader(fmt: number, csid: number): Buffer {
  if (csid >= 2 && csid <= 63) return Buffer.from([(fmt << 6) | csid]);
  if (csid >= 64 && csid <= 319) return Buffer.from([fmt << 6, csid - 64]);
  const id = csid - 64;
  return Buffer.from([(fmt << 6) | 1, id & 0xff, id >> 8]);
}

/**
 * Splits messages into chunks. Every message starts with a full (type 0) header carrying its absolute
 * timestamp, so no state is shared between messages; continuation chunks (type 3) repeat the extended
 * timestamp when there is one, as ffmpeg, librtmp and nginx-rtmp all write and read it.
 */
export class ChunkEncoder {
  chunkSize = 128;

  encode(message: RtmpMessage): Buffer {
    const timestamp = message.timestamp >>> 0;
    const extended = timestamp >= EXTENDED;
    const header = Buffer.alloc(11);
    header.writeUIntBE(extended ? EXTENDED : timestamp, 0, 3);
    header.writeUIntBE(message.payload.length, 3, 3);
    header[6] = message.type;
    header.writeUInt32LE(message.streamId >>> 0, 7);
    const ext = extended ? Buffer.alloc(4) : null;
    ext?.writeUInt32BE(timestamp);
    const parts: Buffer[] = [basicHeader(0, message.csid), header];
    if (ext) parts.push(ext);
    let offset = 0;
    do {
      if (offset > 0) {
        parts.push(basicHeader(3, message.csid));
        if (ext) parts.push(ext);
      }
      const end = Math.min(message.payload.length, offset + this.chunkSize);
      parts.push(message.payload.subarray(offset, end));
      offset = end;
    } while (offset < message.payload.length);
    return Buffer.concat(parts);
  }
}

interface ChunkStreamState {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The last type 0/1/2 header had an extended timestamp: type 3 chunks carry one too. */
  extended: boolean;
  pending: Buffer[] | null;
  received: number;
}

/** Reassembles messages from the chunks a server sends (every header type, extended timestamps, chunk size changes). */
export class ChunkDecoder {
  chunkSize = 128;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, ChunkStreamState>();

  /** Feeds bytes; returns the messages completed by them. A Set Chunk Size message takes effect at once. */
  push(data: Buffer): RtmpMessage[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    const messages: RtmpMessage[] = [];
    for (;;) {
      const parsed = this.next();
      if (parsed === null) break;
      if (parsed === undefined) continue;
      if (parsed.type === MessageType.SetChunkSize && parsed.payload.length >= 4) {
        const size = parsed.payload.readUInt32BE(0) & MAX_CHUNK_SIZE;
        if (size < 1) throw new ChunkStreamError('the server set a chunk size of 0');
        this.chunkSize = size;
      } else if (parsed.type === MessageType.Abort && parsed.payload.length >= 4) {
        const state = this.streams.get(parsed.payload.readUInt32BE(0));
        if (state) state.pending = null;
      }
      messages.push(parsed);
    }
    return messages;
  }

  /** One chunk: the message it completes, undefined for a chunk that completes none, null when more bytes are needed. */
  private next(): RtmpMessage | null | undefined {
    const data = this.buffer;
    if (data.length < 1) return null;
    const fmt = data[0] >> 6;
    let csid = data[0] & 0x3f;
    let offset = 1;
    if (csid === 0) {
      if (data.length < 2) return null;
      csid = 64 + data[1];
      offset = 2;
    } else if (csid === 1) {
      if (data.length < 3) return null;
      csid = 64 + data[1] + data[2] * 256;
      offset = 3;
    }
    const headerBytes = [11, 7, 3, 0][fmt];
    if (data.length < offset + headerBytes) return null;
    const previous = this.streams.get(csid);
    if (fmt !== 0 && !previous) throw new ChunkStreamError(`chunk stream ${csid} continues a message it never started`);
    const state: ChunkStreamState = previous ?? {
      timestamp: 0,
      delta: 0,
      length: 0,
      type: 0,
      streamId: 0,
      extended: false,
      pending: null,
      received: 0,
    };
    const field3 = fmt <= 2 ? data.readUIntBE(offset, 3) : 0;
    // Type 3 chunks repeat the extended timestamp of the header they follow (ffmpeg, librtmp and nginx-rtmp agree).
    const extended = fmt <= 2 ? field3 === EXTENDED : state.extended;
    let cursor = offset + headerBytes;
    let field = field3;
    if (extended) {
      if (data.length < cursor + 4) return null;
      field = data.readUInt32BE(cursor);
      cursor += 4;
    }
    // A full, medium or small header always starts a message; a type 3 chunk continues one if one is open.
    const newMessage = fmt <= 2 || state.pending === null;
    let length = state.length;
    if (fmt <= 1) length = data.readUIntBE(offset + 3, 3);
    if (length > MAX_MESSAGE_BYTES) throw new ChunkStreamError(`a ${length}-byte message is larger than this client accepts`);
    const payloadBytes = Math.min(this.chunkSize, length - (newMessage ? 0 : state.received));
    if (data.length < cursor + payloadBytes) return null;

    // Header fields take effect only once the whole chunk is here.
    if (fmt === 0) {
      state.timestamp = field;
      state.delta = field;
      state.streamId = data.readUInt32LE(offset + 7);
    } else if (fmt <= 2) {
      state.delta = field;
      state.timestamp = (state.timestamp + field) >>> 0;
    } else if (fmt === 3 && newMessage) {
      state.timestamp = (state.timestamp + state.delta) >>> 0;
    }
    if (fmt <= 1) {
      state.length = length;
      state.type = data[offset + 6];
    }
    if (fmt <= 2) state.extended = extended;
    this.streams.set(csid, state);

    if (newMessage) {
      state.pending = [];
      state.received = 0;
    }
    state.pending!.push(data.subarray(cursor, cursor + payloadBytes));
    state.received += payloadBytes;
    this.buffer = data.subarray(cursor + payloadBytes);
    if (state.received < state.length) return undefined;
    const payload = Buffer.concat(state.pending!);
    state.pending = null;
    return { csid, type: state.type, streamId: state.streamId, timestamp: state.timestamp, payload };
  }
}
