import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { AppConfig } from '../config/app-config.js';
import { BridgeNetwork, DockerRepository, PortInUseError } from '../repositories/docker.repository.js';
import { PublishCallback, RtmpPublishAuthService } from './rtmp-publish-auth.service.js';
import { CONTAINER_HOST_ALIAS } from './rtmp.constants.js';

/** The callback URL base as the container sees it (the secret and the call name follow). */
export function callbackBaseUrl(port: number): string {
  return `http://${CONTAINER_HOST_ALIAS}:${port}/rtmp`;
}

/**
 * The address of the host on the Docker bridge, as far as the engine and this host tell: the IPAM gateway;
 * else (an engine that made `docker0` itself reports none) the IPv4 address of the bridge's interface,
 * and, while that interface has no carrier (no container attached yet, so the OS does not list it), the
 * first address of the bridge's subnet, which the engine gives the interface it makes. Whether it is an
 * address of this host (not so for Docker Desktop's VM or a remote engine) only binding it can tell.
 */
export function bridgeHostAddress(bridge: BridgeNetwork | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  if (!bridge) return undefined;
  if (bridge.gateway) return bridge.gateway;
  const ofInterface = bridge.interfaceName ? interfaces[bridge.interfaceName]?.find((a) => a.family === 'IPv4') : undefined;
  return ofInterface?.address ?? (bridge.subnet ? firstHostAddress(bridge.subnet) : undefined);
}

/** `172.17.0.0/16` → `172.17.0.1`; undefined for what is not an IPv4 subnet with room for hosts. */
export function firstHostAddress(subnet: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  if (!match) return undefined;
  const [a, b, c, d, bits] = match.slice(1).map(Number);
  if ([a, b, c, d].some((octet) => octet > 255) || bits > 30) return undefined;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const first = ((((a << 24) | (b << 16) | (c << 8) | d) & mask) >>> 0) + 1;
  return [first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join('.');
}

const LOOPBACK = '127.0.0.1';
const ROUTE = /^\/rtmp\/([A-Za-z0-9_-]{16,128})\/(publish|publish-done)$/;
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * A small HTTP listener, apart from Wave's API, for nginx-rtmp's publish callbacks. It binds where the
 * container reaches the host — the Docker bridge gateway (RTMP_CALLBACK_HOST overrides; 127.0.0.1 when
 * the gateway is not a local address, as with Docker Desktop) — so the API can stay on 127.0.0.1 and
 * the callbacks are not open to the world. Each call must also carry the ingest's secret.
 */
@Injectable()
export class RtmpCallbackServer implements OnModuleDestroy {
  private readonly logger = new Logger(RtmpCallbackServer.name);
  private server?: Server;
  /** The address the listener was asked to bind (the bridge's, or RTMP_CALLBACK_HOST), even when it fell back to loopback. */
  private boundFor?: string;
  private readonly binding = new Mutex();

  constructor(
    private readonly config: AppConfig,
    private readonly docker: DockerRepository,
    private readonly auth: RtmpPublishAuthService,
  ) {}

  /**
   * Listens where the container can reach the host, and returns the callback URL base as the container
   * sees it (without the secret). The address is resolved on every call (each ingest start), so a bridge
   * the engine had not set up when Wave first asked is found later, and the listener moves to it.
   */
  async ensureListening(): Promise<string> {
    await this.binding.runExclusive(async () => {
      const wanted = this.config.rtmpCallbackHost ?? bridgeHostAddress(await this.docker.bridgeNetwork(), networkInterfaces()) ?? LOOPBACK;
      if (this.server && this.boundFor === wanted) return;
      await this.close();
      this.server = await this.listenOnBridge(wanted);
    });
    return callbackBaseUrl(this.config.rtmpCallbackPort);
  }

  /** Lets the port go (this instance stopped leading: the next leader binds it). */
  async stopListening(): Promise<void> {
    await this.binding.runExclusive(() => this.close());
  }

  async onModuleDestroy(): Promise<void> {
    await this.stopListening();
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundFor = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Binds `wanted`; an address that is not this host's (Docker Desktop's VM gateway) falls back to loopback. */
  private async listenOnBridge(wanted: string): Promise<Server> {
    try {
      const server = await this.listen(wanted);
      this.boundFor = wanted;
      return server;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL' || this.config.rtmpCallbackHost) throw error;
      const server = await this.listen(LOOPBACK);
      this.boundFor = wanted;
      return server;
    }
  }

  private async listen(host: string): Promise<Server> {
    const port = this.config.rtmpCallbackPort;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, `RTMP_CALLBACK_PORT ${port} on ${host}`) : error),
      );
      server.listen(port, host, () => resolve());
    });
    this.logger.log(`Listening for nginx-rtmp publish callbacks on http://${host}:${port}`);
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = ROUTE.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || !match) {
      res.writeHead(req.method === 'POST' && (req.url ?? '').startsWith('/rtmp/') ? 403 : 404).end();
      return;
    }
    try {
      const form = new URLSearchParams(await readBody(req));
      const decision = await this.auth.decide(match[1], match[2] as PublishCallback, form);
      // nginx-rtmp takes a 3xx to on_publish whose Location is not an rtmp:// URL as "publish under this name".
      if (decision.allow && decision.renameTo)
        res.writeHead(302, { location: decision.renameTo, 'content-type': 'text/plain' }).end('renamed');
      else res.writeHead(decision.allow ? 200 : 403, { 'content-type': 'text/plain' }).end(decision.allow ? 'ok' : 'forbidden');
    } catch (error) {
      this.logger.error(`Publish callback failed: ${(error as Error).message}`);
      res.writeHead(500).end();
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > BODY_LIMIT_BYTES) {
        reject(new Error('callback body too large'));
        req.destroy();
      }
    });
    req.once('end', () => resolve(body));
    req.once('error', reject);
  });
}
