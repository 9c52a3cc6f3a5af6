import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createServer, Server as HttpServer } from 'node:http';
import type { createClient } from 'redis';
import { Server, ServerOptions } from 'socket.io';
import { redact, registerSecret } from '../common/redaction.js';
import { AppConfig } from '../config/app-config.js';

type RedisClient = ReturnType<typeof createClient>;
type NestIoServer = ReturnType<IoAdapter['createIOServer']>;

/** `redis://host:port` of a REDIS_URL, without its credentials. */
function redisHost(url: string): string {
  const { protocol, host } = new URL(url);
  return `${protocol}//${host}`;
}

/** Boot fails rather than waiting forever for an unreachable Redis. */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The one Socket.IO server of a Wave process: every gateway (namespace) shares it, and it listens on
 * SOCKET_PORT/HOST from AppConfig whatever a gateway decorator says, with CORS from CORS_ORIGINS. When
 * REDIS_URL is set, the Redis adapter makes broadcasts reach the clients of every Wave instance.
 *
 * Lifecycle: `connect()` before `app.init()` (Redis), `listening()` after it; `app.close()` closes the
 * server (via Nest's socket module) and then `dispose()` quits Redis.
 */
export class WaveSocketAdapter extends IoAdapter {
  private readonly socketLogger = new Logger('SocketServer');
  private readonly socketHttpServer: HttpServer = createServer();
  private io?: Server;
  private listenResult?: Promise<void>;
  private redis?: { pub: RedisClient; sub: RedisClient; adapter: ReturnType<typeof import('@socket.io/redis-adapter').createAdapter> };

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  /** Connects to Redis when REDIS_URL is set; rejects with a clear message when it cannot. */
  async connect(): Promise<void> {
    const url = this.config.redisUrl;
    if (!url) return;
    registerSecret(decodeURIComponent(new URL(url).password));
    // Loaded only when used: the client alone takes ~0.2 s to import, a quarter of Wave's start-up.
    const [{ createClient }, { createAdapter }] = await Promise.all([import('redis'), import('@socket.io/redis-adapter')]);
    const pub: RedisClient = createClient({ url, socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS } });
    const sub = pub.duplicate();
    // node-redis reconnects by itself; without a listener an 'error' event would crash the process.
    for (const client of [pub, sub]) client.on('error', (error: Error) => this.socketLogger.warn(`Redis: ${redact(error.message)}`));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis at ${redisHost(url)} did not answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`)),
        REDIS_CONNECT_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([Promise.all([pub.connect(), sub.connect()]), timeout]);
    } catch (error) {
      pub.destroy();
      sub.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.redis = { pub, sub, adapter: createAdapter(pub, sub) };
    this.socketLogger.log('Socket.IO broadcasts go through Redis (several Wave instances reach all clients)');
  }

  /**
   * Nest pins its own copy of socket.io (a patch version apart); the server is made with the app's copy,
   * which the Redis adapter is built for, hence the cast of the return type.
   */
  override createIOServer(_port: number, options?: object): NestIoServer {
    if (this.io) return this.io as unknown as NestIoServer;
    const origins = this.config.corsOrigins;
    const io = new Server(this.socketHttpServer, {
      ...(options as Partial<ServerOptions>),
      serveClient: false,
      cors: origins.length === 0 ? undefined : { origin: origins.includes('*') ? true : origins, credentials: !origins.includes('*') },
    });
    if (this.redis) io.adapter(this.redis.adapter);
    this.listenResult = new Promise<void>((resolve, reject) => {
      this.socketHttpServer.once('error', reject);
      this.socketHttpServer.listen(this.config.socketPort, this.config.host, () => {
        this.socketHttpServer.off('error', reject);
        resolve();
      });
    });
    // Rejects during app.init(), before listening() awaits it: mark it handled so Node does not crash first.
    this.listenResult.catch(() => undefined);
    this.io = io;
    return io as unknown as NestIoServer;
  }

  /** Resolves once the socket server listens on SOCKET_PORT (call after app.init()). */
  async listening(): Promise<void> {
    if (!this.listenResult) throw new Error('No gateway created the Socket.IO server (is RealtimeModule imported?)');
    await this.listenResult;
    this.socketLogger.log(`Socket.IO listening on ${this.config.host}:${this.config.socketPort}`);
  }

  override async dispose(): Promise<void> {
    // Nest closes the root server it created; this covers a failed boot where it never did.
    if (this.io && this.socketHttpServer.listening) {
      // The callback, not the returned promise, says the HTTP server has closed (its port is free).
      const io = this.io;
      await new Promise<void>((resolve, reject) => {
        io.close(() => resolve()).catch(reject);
      });
    }
    if (this.redis) {
      const { pub, sub } = this.redis;
      this.redis = undefined;
      await Promise.allSettled([pub.close(), sub.close()]);
    }
  }
}
