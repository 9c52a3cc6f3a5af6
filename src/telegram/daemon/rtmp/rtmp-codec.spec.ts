import { describe, expect, it } from 'vitest';
import { decodeAmf0, encodeAmf0 } from './amf0.js';
import { ChunkDecoder, ChunkEncoder, MessageType } from './chunks.js';
import { aggregateTags, FlvReader, flvHeader, flvTag, isKeyframe, isStreamConfig } from './flv.js';
import { parseRtmpUrl } from './rtmp-session.js';

describe('AMF0', () => {
  it('round-trips what RTMP commands carry', () => {
    const values = ['connect', 1, { app: 's', flashVer: 'FMLE/3.0', nested: { a: true, b: null } }, null, undefined, [1, 'two'], 'é'];
    expect(decodeAmf0(encodeAmf0(...values))).toEqual(values);
  });
});

describe('RTMP chunks', () => {
  it('splits and reassembles messages at the chunk size, extended timestamps included (the 24-bit wrap)', () => {
    const encoder = new ChunkEncoder();
    encoder.chunkSize = 100;
    const decoder = new ChunkDecoder();
    decoder.chunkSize = 100;
    const payload = Buffer.from(Array.from({ length: 350 }, (_, i) => i % 256));
    const messages = [0, 16_777_214, 16_777_215, 16_777_300, 0xffffffff].map((timestamp, i) => ({
      csid: 4 + (i % 2),
      type: MessageType.Audio,
      streamId: 1,
      timestamp,
      payload,
    }));
    const bytes = Buffer.concat(messages.map((m) => encoder.encode(m)));
    // Fed in awkward pieces, as TCP delivers them.
    const out = [];
    for (let i = 0; i < bytes.length; i += 37) out.push(...decoder.push(bytes.subarray(i, i + 37)));
    expect(out).toEqual(messages);
  });

  it('reads the compressed headers a server writes (types 1, 2, 3) and applies Set Chunk Size at once', () => {
    const decoder = new ChunkDecoder();
    const header0 = Buffer.from([0x04, 0, 0, 10, 0, 0, 2, 8, 1, 0, 0, 0, 0xaa, 0xbb]); // ts 10, len 2, audio, stream 1
    const header1 = Buffer.from([0x44, 0, 0, 5, 0, 0, 1, 9, 0xcc]); // delta 5, len 1, video
    const header2 = Buffer.from([0x84, 0, 0, 7, 0xdd]); // delta 7
    const header3 = Buffer.from([0xc4, 0xee]); // delta 7 again
    const chunkSize = Buffer.from([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
    const messages = decoder.push(Buffer.concat([header0, header1, header2, header3, chunkSize]));
    expect(messages.map((m) => [m.type, m.timestamp, m.payload.toString('hex')])).toEqual([
      [8, 10, 'aabb'],
      [9, 15, 'cc'],
      [9, 22, 'dd'],
      [9, 29, 'ee'],
      [1, 0, '00001000'],
    ]);
    expect(decoder.chunkSize).toBe(4096);
  });
});

describe('FLV', () => {
  it('reads tags back from a stream, in pieces', () => {
    const tags = [
      { type: 18, timestamp: 0, data: Buffer.from('meta') },
      { type: 8, timestamp: 16_777_300, data: Buffer.from([0xaf, 0x00, 0x12]) },
      { type: 9, timestamp: 40, data: Buffer.from([0x17, 0x01, 0, 0, 0]) },
    ];
    const bytes = Buffer.concat([flvHeader(), ...tags.map(flvTag)]);
    const reader = new FlvReader();
    const out = [];
    for (let i = 0; i < bytes.length; i += 5) out.push(...reader.push(bytes.subarray(i, i + 5)));
    expect(out).toEqual(tags);
    expect(out.map(isStreamConfig)).toEqual([true, true, false]);
    expect(isKeyframe(out[2])).toBe(true);
  });

  it('unpacks aggregate messages with their timestamps moved to the message', () => {
    const inner = Buffer.concat([
      flvTag({ type: 8, timestamp: 1000, data: Buffer.from([1]) }),
      flvTag({ type: 8, timestamp: 1023, data: Buffer.from([2]) }),
    ]);
    expect(aggregateTags(inner, 5000).map((t) => [t.timestamp, t.data[0]])).toEqual([
      [5000, 1],
      [5023, 2],
    ]);
  });
});

describe('parseRtmpUrl', () => {
  it('splits app and stream name as ffmpeg does', () => {
    expect(parseRtmpUrl('rtmps://dc4-1.rtmp.t.me/s/123:abc')).toEqual({
      protocol: 'rtmps',
      host: 'dc4-1.rtmp.t.me',
      port: 443,
      app: 's',
      name: '123:abc',
      tcUrl: 'rtmps://dc4-1.rtmp.t.me:443/s',
    });
    expect(parseRtmpUrl('rtmp://10.0.0.1/live/inst/key?x=1')).toMatchObject({ port: 1935, app: 'live/inst', name: 'key?x=1' });
    expect(parseRtmpUrl('rtmp://[::1]:1936/live/k')).toMatchObject({ host: '::1', tcUrl: 'rtmp://[::1]:1936/live' });
  });
});
