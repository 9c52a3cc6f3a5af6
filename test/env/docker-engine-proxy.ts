import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A unix socket in front of a Docker engine's socket that can make the engine look hung, without touching
 * the engine (it is shared: stopping or SIGSTOPping it would stall every other test and engineer on the
 * machine). While hung, it does what a dockerd stopped with SIGSTOP does to its clients: connections are
 * accepted (the kernel does that for a stopped process), nothing sent either way gets through, nothing is
 * answered, and open connections (the event stream, kept-alive sockets) go silent. Containers keep running,
 * as they do under a stopped dockerd. `resume()` lets everything held back through, in order, as SIGCONT does.
 */
export interface DockerEngineProxy {
  /** DOCKER_HOST for clients of the proxy: `unix://<socket>`. */
  readonly host: string;
  readonly socketPath: string;
  readonly hung: boolean;
  /** Connections open now (clients that gave up close theirs). */
  readonly openConnections: number;
  hang(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Proxies `upstreamSocket` (e.g. `/var/run/docker.sock`) on a fresh socket under `dir`. */
export async function startDockerEngineProxy(upstreamSocket: string, dir = tmpdir()): Promise<DockerEngineProxy> {
  const socketPath = join(dir, `docker-proxy-${randomUUID().slice(0, 8)}.sock`);
  const links = new Set<Link>();
  let hung = false;

  const server: Server = createServer((client) => {
    const link = new Link(
      client,
      upstreamSocket,
      () => hung,
      () => links.delete(link),
    );
    links.add(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    host: `unix://${socketPath}`,
    socketPath,
    get hung() {
      return hung;
    },
    get openConnections() {
      return links.size;
    },
    hang() {
      hung = true;
    },
    resume() {
      hung = false;
      for (const link of links) link.flush();
    },
    async close() {
      for (const link of links) link.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}

/** One client connection and its upstream one; bytes wait in either direction while the proxy is hung. */
class Link {
  private upstream?: Socket;
  private readonly toUpstream: Buffer[] = [];
  private readonly toClient: Buffer[] = [];
  private clientEnded = false;
  private upstreamEnded = false;
  private destroyed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstreamSocket: string,
    private readonly isHung: () => boolean,
    private readonly onClose: () => void,
  ) {
    client.on('data', (chunk: Buffer) => {
      this.toUpstream.push(chunk);
      this.flush();
    });
    client.on('end', () => {
      this.clientEnded = true;
      this.flush();
    });
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  flush(): void {
    if (this.destroyed || this.isHung()) return;
    if (!this.upstream) this.connectUpstream();
    const upstream = this.upstream!;
    for (const chunk of this.toUpstream.splice(0)) upstream.write(chunk);
    if (this.clientEnded && !upstream.writableEnded) upstream.end();
    for (const chunk of this.toClient.splice(0)) this.client.write(chunk);
    if (this.upstreamEnded && !this.client.writableEnded) this.client.end();
    // An upstream that closed while the proxy was hung: what it said has been passed on, now the close.
    if (upstream.destroyed) this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.onClose();
  }

  private connectUpstream(): void {
    const upstream = connect(this.upstreamSocket);
    this.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => {
      this.toClient.push(chunk);
      this.flush();
    });
    upstream.on('end', () => {
      this.upstreamEnded = true;
      this.flush();
    });
    // Unlike a hung engine, a dead upstream is passed on at once: the connection drops.
    upstream.on('error', () => this.destroy());
    upstream.on('close', () => {
      if (!this.isHung()) this.destroy();
    });
  }
}
