import { Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { ApiAuth } from '../auth/api-auth.js';
import { WaveError } from '../common/wave-error.js';
import { LogFiles } from '../monitoring/log-files.service.js';
import { StreamingStatusService } from '../streaming/streaming-status.service.js';
import {
  AdminServerToClientEvents,
  CLIENT_EVENTS,
  LOG_ROOMS,
  LogRoom,
  LogService,
  SERVER_EVENTS,
  SOCKET_NAMESPACES,
  StreamingStatus,
  SubscriptionAck,
  SystemEvent,
} from '../contracts/socket-events.js';
import { SocketAudience } from '../streaming/socket-audience.js';
import type { WaveEventMap } from '../bus/wave-events.js';

type AdminNamespace = Namespace<Record<string, never>, AdminServerToClientEvents>;

const isLogRoom = (room: unknown): room is LogRoom => typeof room === 'string' && (LOG_ROOMS as readonly string[]).includes(room);
const serviceOf = (room: LogRoom) => room.slice('log:'.length) as LogService;

/**
 * `/admin`: the admin UI. When WAVE_API_TOKEN is set the handshake must carry it (`auth: { token }`),
 * compared in constant time; otherwise the connection is refused with `unauthorized`. Receives the full
 * status, `system` and `error` events, and — per room it joins — the live tail of a service's log.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACES.admin })
export class AdminGateway implements OnGatewayInit<AdminNamespace>, OnGatewayConnection<Socket> {
  private readonly logger = new Logger(AdminGateway.name);
  private namespace!: AdminNamespace;
  private readonly tails = new Map<LogService, () => void>();

  constructor(
    private readonly auth: ApiAuth,
    private readonly status: StreamingStatusService,
    private readonly audience: SocketAudience,
    private readonly logFiles: LogFiles,
  ) {}

  afterInit(namespace: AdminNamespace): void {
    this.namespace = namespace;
    this.audience.track('admin', namespace);
    // Wrong handshake tokens count with the HTTP ones: it is the same token to guess.
    namespace.use((socket, next) => {
      this.auth.authorize(socket.handshake.address, { kind: 'token', value: socket.handshake.auth?.token }).then(
        () => next(),
        (error: unknown) => {
          const code = error instanceof WaveError ? error.code : 'unauthorized';
          const refusal = new Error(code) as Error & { data: unknown };
          refusal.data = {
            code,
            message:
              code === 'unauthorized'
                ? 'A valid WAVE_API_TOKEN is required in the handshake: io(url, { auth: { token } })'
                : (error as Error).message,
          };
          next(refusal);
        },
      );
    });
    // A log file is followed only while someone listens to it (rooms are per instance, so is the tail).
    namespace.adapter.on('create-room', (room: unknown) => isLogRoom(room) && this.startTail(serviceOf(room)));
    namespace.adapter.on('delete-room', (room: unknown) => isLogRoom(room) && this.stopTail(serviceOf(room)));
  }

  async handleConnection(socket: Socket): Promise<void> {
    try {
      socket.emit(SERVER_EVENTS.status, await this.status.current());
    } catch (error) {
      this.logger.warn(`Could not send the status snapshot to ${socket.id}: ${(error as Error).message}`);
    }
  }

  @SubscribeMessage(CLIENT_EVENTS.statusGet)
  statusGet(): Promise<StreamingStatus> {
    return this.status.current();
  }

  @SubscribeMessage(CLIENT_EVENTS.subscribe)
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() request: unknown): Promise<SubscriptionAck> {
    const rooms = this.requestedRooms(request);
    if (!Array.isArray(rooms)) return rooms;
    await socket.join(rooms);
    return { ok: true, rooms: this.roomsOf(socket) };
  }

  @SubscribeMessage(CLIENT_EVENTS.unsubscribe)
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() request: unknown): Promise<SubscriptionAck> {
    const rooms = this.requestedRooms(request);
    if (!Array.isArray(rooms)) return rooms;
    for (const room of rooms) await socket.leave(room);
    return { ok: true, rooms: this.roomsOf(socket) };
  }

  @OnEvent('streaming.status.changed')
  pushStatus(status: StreamingStatus): void {
    this.namespace.emit(SERVER_EVENTS.status, status);
  }

  @OnEvent('track.changed')
  trackChanged({ itemId: _itemId, ...event }: WaveEventMap['track.changed']): void {
    // The item id is the programme's bookkeeping, not the clients'.
    this.namespace.emit(SERVER_EVENTS.trackChanged, event);
  }

  @OnEvent('config.updated')
  configUpdated(event: WaveEventMap['config.updated']): void {
    this.system({ type: 'config.updated', message: `${event.document} was updated`, details: { document: event.document }, at: event.at });
  }

  @OnEvent('tracks.updated')
  tracksUpdated(event: WaveEventMap['tracks.updated']): void {
    const { reason, trackIds, count } = event;
    this.system({
      type: 'tracks.updated',
      message: `Track library ${reason} (${count} tracks)`,
      details: { reason, trackIds, count },
      at: event.at,
    });
  }

  @OnEvent('tracks.scan.progress')
  scanProgress(event: WaveEventMap['tracks.scan.progress']): void {
    this.namespace.emit(SERVER_EVENTS.scanProgress, event);
  }

  @OnEvent('tracks.scan.finished')
  scanFinished(event: WaveEventMap['tracks.scan.finished']): void {
    this.namespace.emit(SERVER_EVENTS.scanFinished, event);
  }

  @OnEvent('tracks.analysis.progress')
  analysisProgress(event: WaveEventMap['tracks.analysis.progress']): void {
    this.namespace.emit(SERVER_EVENTS.analysisProgress, event);
  }

  @OnEvent('playlists.updated')
  playlistsUpdated(event: WaveEventMap['playlists.updated']): void {
    this.namespace.emit(SERVER_EVENTS.playlistsUpdated, event);
  }

  @OnEvent('schedule.updated')
  scheduleUpdated(event: WaveEventMap['schedule.updated']): void {
    this.namespace.emit(SERVER_EVENTS.scheduleUpdated, event);
  }

  @OnEvent('queue.updated')
  queueUpdated(event: WaveEventMap['queue.updated']): void {
    this.namespace.emit(SERVER_EVENTS.queueUpdated, event);
  }

  @OnEvent('rtmp.container.state')
  rtmpContainerState(event: WaveEventMap['rtmp.container.state']): void {
    const running = event.state === 'running';
    this.system({
      type: running ? 'rtmp.started' : 'rtmp.stopped',
      message: running ? 'RTMP ingest started' : `RTMP ingest ${event.state} (${event.action})`,
      details: { state: event.state, action: event.action, exitCode: event.exitCode ?? null },
      at: event.at,
    });
  }

  @OnEvent('rtmp.publish.started')
  publishStarted(event: WaveEventMap['rtmp.publish.started']): void {
    const { application, stream, clientAddress } = event;
    this.system({
      type: 'rtmp.publisher.connected',
      message: `A publisher went live on ${application}/${stream}`,
      details: { application, stream, clientAddress: clientAddress ?? null },
      at: event.at,
    });
  }

  @OnEvent('rtmp.publish.stopped')
  publishStopped(event: WaveEventMap['rtmp.publish.stopped']): void {
    const { application, stream, clientAddress } = event;
    this.system({
      type: 'rtmp.publisher.disconnected',
      message: `The publisher left ${application}/${stream}`,
      details: { application, stream, clientAddress: clientAddress ?? null },
      at: event.at,
    });
  }

  @OnEvent('telegram.status')
  telegramStatus(event: WaveEventMap['telegram.status']): void {
    const { state, connection, source, reason } = event;
    const message = `Telegram stream ${state}, ${connection}${reason ? ` (${reason})` : ''}`;
    this.system({ type: 'telegram.status', message, details: { state, connection, source, reason: reason ?? null }, at: event.at });
  }

  @OnEvent('telegram.source')
  telegramSource(event: WaveEventMap['telegram.source']): void {
    const { source, previous, label, live } = event;
    const message = live ? `The live show is on air (${label})` : `On air now: ${label}${previous ? ` (was ${previous})` : ''}`;
    this.system({ type: 'telegram.source.changed', message, details: { source, previous, label, live }, at: event.at });
  }

  @OnEvent('telegram.live.override')
  telegramLiveOverride(event: WaveEventMap['telegram.live.override']): void {
    const { action, publisherId, reason } = event;
    const message =
      action === 'take'
        ? 'The operator put the live DJ on the air'
        : action === 'release'
          ? 'The operator took the live DJ off the air'
          : `Live override ended (${reason})`;
    this.system({ type: 'telegram.live.override', message, details: { action, publisherId, reason }, at: event.at });
  }

  /** `destination:state` for every change; `system` `destination.up` / `destination.down` when it goes live or leaves it. */
  @OnEvent('stream.destination.state')
  destinationState(event: WaveEventMap['stream.destination.state']): void {
    const { destination, name, previous } = event;
    this.namespace.emit(SERVER_EVENTS.destinationState, { destination, name, previous, at: event.at });
    const up = destination.state === 'live' && previous !== 'live';
    const down = destination.state !== 'live' && previous === 'live';
    if (!up && !down) return;
    const why = destination.reason ?? destination.lastError?.message;
    this.system({
      type: up ? 'destination.up' : 'destination.down',
      message: up ? `Simulcast to ${name} is live` : `Simulcast to ${name} is ${destination.state}${why ? ` (${why})` : ''}`,
      details: { id: destination.id, name, state: destination.state, previous, lastError: destination.lastError },
      at: event.at,
    });
  }

  @OnEvent('stream.destinations.updated')
  destinationsUpdated(event: WaveEventMap['stream.destinations.updated']): void {
    this.namespace.emit(SERVER_EVENTS.destinationsUpdated, event);
  }

  @OnEvent('telegram.error')
  telegramError(event: WaveEventMap['telegram.error']): void {
    this.namespace.emit(SERVER_EVENTS.error, {
      level: 'error',
      source: 'telegram',
      code: event.code,
      message: event.message,
      at: event.at,
    });
  }

  @OnEvent('wave.error')
  waveError(event: WaveEventMap['wave.error']): void {
    const message = `${event.method} ${event.route} answered ${event.status}: ${event.message} (request ${event.requestId})`;
    this.namespace.emit(SERVER_EVENTS.error, { level: 'error', source: 'wave', code: event.code, message, at: event.at });
  }

  private system(event: SystemEvent): void {
    this.namespace.emit(SERVER_EVENTS.system, event);
  }

  private requestedRooms(request: unknown): LogRoom[] | SubscriptionAck {
    const rooms = (request as { rooms?: unknown } | null)?.rooms;
    if (!Array.isArray(rooms) || rooms.length === 0) return { ok: false, error: 'expected { rooms: string[] }' };
    const unknown = rooms.filter((room) => !isLogRoom(room));
    if (unknown.length > 0)
      return { ok: false, error: `unknown rooms: ${unknown.map(String).join(', ')} (known: ${LOG_ROOMS.join(', ')})` };
    return rooms as LogRoom[];
  }

  /** The rooms a client joined (Socket.IO also puts every socket in a room named by its id). */
  private roomsOf(socket: Socket): string[] {
    return [...socket.rooms].filter((room) => room !== socket.id);
  }

  private startTail(service: LogService): void {
    if (this.tails.has(service)) return;
    const room: LogRoom = `log:${service}`;
    // Each instance tails its own files for its own clients, so the emit stays local (no Redis fan-out).
    this.tails.set(
      service,
      this.logFiles.follow(service, (line) => this.namespace.local.to(room).emit(SERVER_EVENTS.log, { service, line })),
    );
  }

  private stopTail(service: LogService): void {
    this.tails.get(service)?.();
    this.tails.delete(service);
  }
}
