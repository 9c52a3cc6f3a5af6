/** FLV, the container ffmpeg writes and reads on the pipes between it and the RTMP client. */
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;

export interface FlvTag {
  type: number;
  /** Milliseconds (32 bits: the 24-bit field and its extension byte). */
  timestamp: number;
  data: Buffer;
}

const FILE_HEADER_BYTES = 9;
const TAG_HEADER_BYTES = 11;
const MAX_TAG_BYTES = 16 * 1024 * 1024;

export class FlvError extends Error {}

/** Parses an FLV byte stream (header, then tags) into tags. */
export class FlvReader {
  private buffer: Buffer = Buffer.alloc(0);
  private headerSkipped = false;

  push(data: Buffer): FlvTag[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    const tags: FlvTag[] = [];
    if (!this.headerSkipped) {
      if (this.buffer.length < FILE_HEADER_BYTES + 4) return tags;
      if (this.buffer.toString('latin1', 0, 3) !== 'FLV') throw new FlvError('the encoder output is not FLV');
      const headerBytes = this.buffer.readUInt32BE(5);
      if (this.buffer.length < headerBytes + 4) return tags;
      this.buffer = this.buffer.subarray(headerBytes + 4);
      this.headerSkipped = true;
    }
    while (this.buffer.length >= TAG_HEADER_BYTES) {
      const size = this.buffer.readUIntBE(1, 3);
      if (size > MAX_TAG_BYTES) throw new FlvError(`an FLV tag of ${size} bytes`);
      if (this.buffer.length < TAG_HEADER_BYTES + size + 4) break;
      const timestamp = (this.buffer.readUIntBE(4, 3) | (this.buffer[7] << 24)) >>> 0;
      tags.push({
        type: this.buffer[0] & 0x1f,
        timestamp,
        data: Buffer.from(this.buffer.subarray(TAG_HEADER_BYTES, TAG_HEADER_BYTES + size)),
      });
      this.buffer = this.buffer.subarray(TAG_HEADER_BYTES + size + 4);
    }
    return tags;
  }
}

/** The 13 bytes an FLV stream starts with (header and the first, zero, previous-tag size). */
export function flvHeader(hasAudio = true, hasVideo = true): Buffer {
  return Buffer.from([0x46, 0x4c, 0x56, 1, (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
}

export function flvTag(tag: FlvTag): Buffer {
  const out = Buffer.alloc(TAG_HEADER_BYTES + tag.data.length + 4);
  const timestamp = tag.timestamp >>> 0;
  out[0] = tag.type;
  out.writeUIntBE(tag.data.length, 1, 3);
  out.writeUIntBE(timestamp & 0xffffff, 4, 3);
  out[7] = timestamp >>> 24;
  tag.data.copy(out, TAG_HEADER_BYTES);
  out.writeUInt32BE(TAG_HEADER_BYTES + tag.data.length, TAG_HEADER_BYTES + tag.data.length);
  return out;
}

/** Codec configuration a decoder needs before any frame: metadata, the AAC and H.264 sequence headers. */
export function isStreamConfig(tag: FlvTag): boolean {
  if (tag.type === FlvTagType.Script) return true;
  if (tag.type === FlvTagType.Audio) return tag.data.length >= 2 && tag.data[0] >> 4 === 10 && tag.data[1] === 0;
  if (tag.type === FlvTagType.Video) return tag.data.length >= 2 && (tag.data[0] & 0x0f) === 7 && tag.data[1] === 0;
  return false;
}

export function isKeyframe(tag: FlvTag): boolean {
  return tag.type === FlvTagType.Video && tag.data.length >= 1 && tag.data[0] >> 4 === 1;
}

/**
 * The tags inside an RTMP aggregate message (FLV tags back to back), their timestamps moved so the first
 * one has the message's own.
 */
export function aggregateTags(payload: Buffer, timestamp: number): FlvTag[] {
  const tags: FlvTag[] = [];
  let offset = 0;
  let first: number | null = null;
  while (offset + TAG_HEADER_BYTES <= payload.length) {
    const size = payload.readUIntBE(offset + 1, 3);
    if (offset + TAG_HEADER_BYTES + size > payload.length) break;
    const own = (payload.readUIntBE(offset + 4, 3) | (payload[offset + 7] << 24)) >>> 0;
    first ??= own;
    tags.push({
      type: payload[offset] & 0x1f,
      timestamp: (timestamp + own - first) >>> 0,
      data: payload.subarray(offset + TAG_HEADER_BYTES, offset + TAG_HEADER_BYTES + size),
    });
    offset += TAG_HEADER_BYTES + size + 4;
  }
  return tags;
}
