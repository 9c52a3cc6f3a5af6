import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundPolicy } from '../../src/common/outbound-policy.js';
import { type AmfValue, decodeAmf0, encodeAmf0 } from '../../src/telegram/daemon/rtmp/amf0.js';
import { ChunkDecoder, ChunkEncoder, MessageType, type RtmpMessage } from '../../src/telegram/daemon/rtmp/chunks.js';
import { FlvPlayer, FlvPublisher } from '../../src/telegram/daemon/rtmp/flv-relay.js';
import { FlvReader, flvHeader, flvTag } from '../../src/telegram/daemon/rtmp/flv.js';

/** A minimal RTMP server: answers the commands a client sends, records what it gets, can send a stream. */
class FakeRtmpServer {
  readonly server: Server;
  readonly commands: AmfValue[][] = [];
  readonly media: RtmpMessage[] = [];
  refuse = false;
  private socket?: Socket;
  private readonly encoder = new ChunkEncoder();

  constructor() {
    this.server = createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  send(message: Omit<RtmpMessage, 'csid'>): void {
    this.socket?.write(this.encoder.encode({ csid: 6, ...message }));
  }

  private accept(socket: Socket): void {
    this.socket = socket;
    const decoder = new ChunkDecoder();
    let handshake: Buffer | null = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      if (handshake) {
        handshake = Buffer.concat([handshake, data]);
        if (handshake.length === 1537) socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7), handshake.subarray(1)]));
        if (handshake.length < 1537 + 1536) return;
        const rest = handshake.subarray(1537 + 1536);
        handshake = null;
        data = rest;
      }
      for (const message of decoder.push(data)) this.onMessage(message);
    });
  }

  private reply(...values: AmfValue[]): void {
    this.socket?.write(
      this.encoder.encode({ csid: 3, type: MessageType.CommandAmf0, streamId: 0, timestamp: 0, payload: encodeAmf0(...values) }),
    );
  }

  private onMessage(message: RtmpMessage): void {
    if (message.type !== MessageType.CommandAmf0) {
      if ([MessageType.Audio, MessageType.Video, MessageType.DataAmf0].includes(message.type as 8)) this.media.push(message);
      return;
    }
    const values = decodeAmf0(message.payload);
    this.commands.push(values);
    const [name, transaction] = values;
    if (name === 'connect')
      this.reply('_result', transaction, { fmsVer: 'FMS/3,0,1,123' }, { level: 'status', code: 'NetConnection.Connect.Success' });
    if (name === 'createStream') this.reply('_result', transaction, null, 1);
    if (name === 'publish')
      this.reply(
        'onStatus',
        0,
        null,
        this.refuse ? { level: 'error', code: 'NetStream.Publish.BadName' } : { level: 'status', code: 'NetStream.Publish.Start' },
      );
    if (name === 'play') this.reply('onStatus', 0, null, { level: 'status', code: 'NetStream.Play.Start' });
  }
}

let server: FakeRtmpServer;
afterEach(async () => {
  await server?.close();
});

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

/** The daemon's RTMP client over real loopback sockets (a medium spec: it binds ports; the codecs are unit-tested in rtmp-codec.spec.ts). */
describe('RTMP client (against a minimal server)', () => {
  it('publishes FLV as ffmpeg does: connect, releaseStream, FCPublish, createStream, publish, then @setDataFrame and media', async () => {
    server = new FakeRtmpServer();
    const port = await server.listen();
    const flv = new PassThrough();
    const publisher = new FlvPublisher(`rtmp://127.0.0.1:${port}/s/1234:secret-key`, OutboundPolicy.parse('127.0.0.1'), flv);
    let published = false;
    publisher.once('published', () => (published = true));
    // Frames written before the ingest accepted the publish are dropped; the codec configuration is kept.
    flv.write(
      Buffer.concat([
        flvHeader(),
        flvTag({ type: 18, timestamp: 0, data: encodeAmf0('onMetaData', { duration: 0 }) }),
        flvTag({ type: 8, timestamp: 0, data: Buffer.from([0xaf, 0, 0x12, 0x10]) }),
        flvTag({ type: 8, timestamp: 5, data: Buffer.from([0xaf, 1, 9]) }),
      ]),
    );
    publisher.start();
    await waitFor(() => published, 'the publish to start');
    flv.write(flvTag({ type: 8, timestamp: 16_777_300, data: Buffer.from([0xaf, 1, 1, 2, 3]) }));
    await waitFor(() => server.media.length === 3, 'the media');
    expect(server.commands.map((c) => c[0])).toEqual(['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish']);
    expect(server.commands[0][2]).toMatchObject({ app: 's', type: 'nonprivate', tcUrl: `rtmp://127.0.0.1:${port}/s` });
    expect(server.commands[4].slice(3)).toEqual(['1234:secret-key', 'live']);
    expect(decodeAmf0(server.media[0].payload)[0]).toBe('@setDataFrame');
    expect(server.media.slice(1).map((m) => [m.type, m.timestamp, m.streamId, m.payload.toString('hex')])).toEqual([
      [8, 0, 1, 'af001210'],
      [8, 16_777_300, 1, 'af01010203'],
    ]);
    publisher.close();
    await waitFor(() => server.commands.some((c) => c[0] === 'deleteStream'), 'deleteStream');
  });

  it('reports a refused publish with its code, and a connection the policy refuses before connecting', async () => {
    server = new FakeRtmpServer();
    server.refuse = true;
    const port = await server.listen();
    const closed = (publisher: FlvPublisher) =>
      new Promise<Error & { code?: string }>((resolve) => publisher.once('closed', ({ error }) => resolve(error!)));
    const refused = new FlvPublisher(`rtmp://127.0.0.1:${port}/s/k`, null, new PassThrough());
    const outcome = closed(refused);
    refused.start();
    expect(await outcome).toMatchObject({ code: 'ingest_refused', message: 'the ingest refused the stream: NetStream.Publish.BadName' });

    const blocked = new FlvPublisher(`rtmp://localhost:${port}/s/k`, OutboundPolicy.parse(''), new PassThrough());
    const blockedOutcome = closed(blocked);
    blocked.start();
    expect(await blockedOutcome).toMatchObject({ code: 'outbound_refused' });
    expect(server.commands.filter((c) => c[0] === 'connect')).toHaveLength(1); // only the first client got in
  });

  it('plays a stream into FLV: play, then the media as tags', async () => {
    server = new FakeRtmpServer();
    const port = await server.listen();
    const out = new PassThrough();
    const tags: Array<{ type: number; timestamp: number }> = [];
    const reader = new FlvReader();
    out.on('data', (data: Buffer) => tags.push(...reader.push(data).map((t) => ({ type: t.type, timestamp: t.timestamp }))));
    const player = new FlvPlayer(`rtmp://127.0.0.1:${port}/live/relay-key`, null, out);
    player.start();
    await waitFor(() => server.commands.some((c) => c[0] === 'play'), 'play');
    expect(server.commands.find((c) => c[0] === 'play')!.slice(3)).toEqual(['relay-key', -2000]);
    server.send({ type: MessageType.DataAmf0, streamId: 1, timestamp: 0, payload: encodeAmf0('@setDataFrame', 'onMetaData', {}) });
    server.send({ type: MessageType.Audio, streamId: 1, timestamp: 23, payload: Buffer.from([0xaf, 1, 5]) });
    await waitFor(() => tags.length === 2, 'two tags');
    expect(tags).toEqual([
      { type: 18, timestamp: 0 },
      { type: 8, timestamp: 23 },
    ]);
    player.destroy();
  });
});
