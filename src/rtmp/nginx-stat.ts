import { XMLParser } from 'fast-xml-parser';
import { maskSecret } from '../common/redaction.js';

/** Who a stream name in /stat is: the opaque id events name the publisher by, and how it is shown. */
export type StreamIdentity = (streamName: string) => { publisherId: string; stream: string };

export interface RtmpPublisherStats {
  /** The publisher's stream key, masked (nginx knows the stream by its publisherId, not by the key). */
  stream: string;
  /** The opaque id publish events name this publisher by, and nginx its stream (never its key). */
  publisherId: string;
  application: string;
  /** nginx-rtmp's client id of the publisher's connection. */
  clientId?: number;
  /** As nginx sees it (through Docker's port publishing this is often the bridge gateway). */
  address?: string;
  publishingSeconds: number;
  /** Bits per second. */
  bitrateIn: number;
  bitrateOut: number;
  /** Connections on this stream: the publisher and its players. */
  clients: number;
  videoCodec?: string;
  audioCodec?: string;
}

export interface RtmpServerStats {
  nginxVersion?: string;
  uptimeSeconds: number;
  /** Connections accepted since nginx started (every client, not only publishers). */
  connectionsAccepted: number;
  bitrateIn: number;
  bitrateOut: number;
  /** Connections open now, over all applications. */
  clients: number;
  publishers: RtmpPublisherStats[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ['server', 'application', 'stream', 'client'].includes(name),
});

type Node = Record<string, unknown>;
const num = (value: unknown) => Number(value ?? 0) || 0;
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Without the config at hand: the name is shown masked and is its own id. */
const BY_NAME: StreamIdentity = (name) => ({ publisherId: name, stream: maskSecret(name) ?? '' });

/** nginx-rtmp's `rtmp_stat all` XML as Wave reports it. */
export function parseNginxStat(xml: string, identify: StreamIdentity = BY_NAME): RtmpServerStats {
  const rtmp = ((parser.parse(xml) as Node).rtmp ?? {}) as Node;
  const publishers: RtmpPublisherStats[] = [];
  let clients = 0;
  for (const server of (rtmp.server ?? []) as Node[]) {
    for (const application of (server.application ?? []) as Node[]) {
      const live = (application.live ?? {}) as Node;
      clients += num(live.nclients);
      for (const stream of (live.stream ?? []) as Node[]) {
        if (!('publishing' in stream)) continue;
        const publisher = ((stream.client ?? []) as Node[]).find((c) => 'publishing' in c);
        const meta = (stream.meta ?? {}) as Node;
        publishers.push({
          ...identify(str(stream.name) ?? ''),
          application: str(application.name) ?? '',
          clientId: publisher ? num(publisher.id) : undefined,
          address: publisher ? str(publisher.address) : undefined,
          publishingSeconds: Math.round(num(stream.time) / 1000),
          bitrateIn: num(stream.bw_in),
          bitrateOut: num(stream.bw_out),
          clients: num(stream.nclients),
          videoCodec: str(((meta.video ?? {}) as Node).codec),
          audioCodec: str(((meta.audio ?? {}) as Node).codec),
        });
      }
    }
  }
  return {
    nginxVersion: str(rtmp.nginx_version),
    uptimeSeconds: num(rtmp.uptime),
    connectionsAccepted: num(rtmp.naccepted),
    bitrateIn: num(rtmp.bw_in),
    bitrateOut: num(rtmp.bw_out),
    clients,
    publishers,
  };
}
