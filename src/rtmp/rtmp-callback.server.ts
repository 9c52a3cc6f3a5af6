import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { AppConfig } from '../config/app-config.js';
import { DockerRepository, PortInUseError } from '../repositories/docker.repository.js';
import { PublishCallback, RtmpPublishAuthService } from './rtmp-publish-auth.service.js';
import { CONTAINER_HOST_ALIAS } from './rtmp.constants.js';

/** The callback URL base as the container sees it (the secret and the call name follow). */
export function callbackBaseUrl(port: number): string {
  return `http://${CONTAINER_HOST_ALIAS}:${port}/rtmp`;
}

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
  private listening?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    private readonly docker: DockerRepository,
    private readonly auth: RtmpPublishAuthService,
  ) {}

  /** Listens (once) and returns the callback URL base as the container sees it (without the secret). */
  async ensureListening(): Promise<string> {
    this.listening ??= this.listen().catch((error: unknown) => {
      this.listening = undefined;
      throw error;
    });
    await this.listening;
    return callbackBaseUrl(this.config.rtmpCallbackPort);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }

  private async listen(): Promise<void> {
    const host = this.config.rtmpCallbackHost ?? (await this.bridgeAddress());
    const port = this.config.rtmpCallbackPort;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, `RTMP_CALLBACK_PORT ${port} on ${host}`) : error),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`Listening for nginx-rtmp publish callbacks on http://${host}:${port}`);
  }

  /** The bridge gateway when it is an address of this host, else loopback. */
  private async bridgeAddress(): Promise<string> {
    const gateway = await this.docker.bridgeGateway();
    const local = Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.address));
    return gateway && local.includes(gateway) ? gateway : '127.0.0.1';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = ROUTE.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || !match) {
      res.writeHead(req.method === 'POST' && (req.url ?? '').startsWith('/rtmp/') ? 403 : 404).end();
      return;
    }
    try {
      const form = new URLSearchParams(await readBody(req));
      const allowed = await this.auth.decide(match[1], match[2] as PublishCallback, form);
      res.writeHead(allowed ? 200 : 403, { 'content-type': 'text/plain' }).end(allowed ? 'ok' : 'forbidden');
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
