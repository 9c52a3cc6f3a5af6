import { Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { StreamingStatusService, toPublicStatus } from '../streaming/streaming-status.service.js';
import {
  CLIENT_EVENTS,
  PublicServerToClientEvents,
  PublicStatus,
  SERVER_EVENTS,
  SOCKET_NAMESPACES,
  StreamingStatus,
  SubscriptionAck,
} from '../contracts/socket-events.js';
import { SocketAudience } from '../streaming/socket-audience.js';
import type { WaveEventMap } from '../bus/wave-events.js';

type PublicNamespace = Namespace<Record<string, never>, PublicServerToClientEvents>;

/**
 * `/`: listener widgets. No token; public facts only (PublicStatus, now playing). The port, CORS and
 * Redis come from WaveSocketAdapter, not from this decorator.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACES.public })
export class PublicGateway implements OnGatewayInit<PublicNamespace>, OnGatewayConnection<Socket> {
  private readonly logger = new Logger(PublicGateway.name);
  private namespace!: PublicNamespace;

  constructor(
    private readonly status: StreamingStatusService,
    private readonly audience: SocketAudience,
  ) {}

  afterInit(namespace: PublicNamespace): void {
    this.namespace = namespace;
    this.audience.track('public', namespace);
  }

  /** Every client starts from the current state, not from the next change. */
  async handleConnection(socket: Socket): Promise<void> {
    try {
      socket.emit(SERVER_EVENTS.status, await this.status.currentPublic());
    } catch (error) {
      this.logger.warn(`Could not send the status snapshot to ${socket.id}: ${(error as Error).message}`);
    }
  }

  @SubscribeMessage(CLIENT_EVENTS.statusGet)
  statusGet(): Promise<PublicStatus> {
    return this.status.currentPublic();
  }

  @SubscribeMessage(CLIENT_EVENTS.subscribe)
  subscribe(): SubscriptionAck {
    return { ok: false, error: 'rooms are only available on /admin' };
  }

  @SubscribeMessage(CLIENT_EVENTS.unsubscribe)
  unsubscribe(): SubscriptionAck {
    return this.subscribe();
  }

  @OnEvent('streaming.status.changed')
  pushStatus(status: StreamingStatus): void {
    this.namespace.emit(SERVER_EVENTS.status, toPublicStatus(status));
  }

  @OnEvent('track.changed')
  trackChanged({ itemId: _itemId, ...event }: WaveEventMap['track.changed']): void {
    // The item id is the programme's bookkeeping, not the clients'.
    this.namespace.emit(SERVER_EVENTS.trackChanged, event);
  }

  /** Listeners' widgets show the queue (requests) too: its length and why it changed, no ids. */
  @OnEvent('queue.updated')
  queueUpdated(event: WaveEventMap['queue.updated']): void {
    this.namespace.emit(SERVER_EVENTS.queueUpdated, { reason: event.reason, count: event.count, at: event.at });
  }
}
