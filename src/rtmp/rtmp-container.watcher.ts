import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WaveEvents, WaveEventMap } from '../bus/wave-events.js';
import { LeadershipService } from '../leadership/leadership.service.js';
import { ContainerEvent, DockerRepository, EventSubscription } from '../repositories/docker.repository.js';
import { RtmpCallbackServer } from './rtmp-callback.server.js';
import { RtmpService } from './rtmp.service.js';
import { RTMP_LABELS } from './rtmp.constants.js';

const RESUBSCRIBE_DELAY_MS = 2000;
type ContainerStateEvent = WaveEventMap['rtmp.container.state'];
const STATE_OF_ACTION: Record<string, ContainerStateEvent['state']> = {
  start: 'running',
  unpause: 'running',
  die: 'stopped',
  pause: 'paused',
  destroy: 'removed',
};

/**
 * While this instance leads the station: finds an ingest a previous Wave (or the previous leader) left running
 * and serves its publish callbacks again; then follows Docker's event stream, so changes made outside Wave
 * (`docker stop`) become `rtmp.container.state` events at once. Resubscribes when the engine goes away and
 * comes back. A follower neither watches nor answers callbacks: the callback port is the leader's.
 */
@Injectable()
export class RtmpContainerWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RtmpContainerWatcher.name);
  private subscription?: EventSubscription;
  private retry?: NodeJS.Timeout;
  private closed = true;
  private retrying = false;

  constructor(
    private readonly docker: DockerRepository,
    private readonly rtmp: RtmpService,
    private readonly callbacks: RtmpCallbackServer,
    private readonly events: WaveEvents,
    private readonly leadership: LeadershipService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.leadership.whileLeading(
      'the RTMP ingest watcher',
      () => this.start(),
      () => this.stop(),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  private start(): void {
    this.closed = false;
    // In the background: Wave answers at once even while the engine is slow or away.
    void this.reconcile();
    void this.subscribe();
  }

  private async stop(): Promise<void> {
    this.unsubscribe();
    await this.callbacks.stopListening();
  }

  private unsubscribe(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.subscription?.close();
    this.subscription = undefined;
  }

  private async reconcile(): Promise<void> {
    try {
      const ingest = await this.rtmp.findIngest();
      if (ingest) {
        this.logger.log(`Found RTMP ingest ${ingest.name} (${ingest.id.slice(0, 12)}): ${ingest.status}`);
        if (ingest.running) await this.callbacks.ensureListening();
        return;
      }
      const image = await this.rtmp.missingImage();
      if (image) this.logger.warn(`The RTMP ingest cannot start yet: ${image}`);
    } catch (error) {
      // Said plainly at boot: Wave runs, but no DJ can publish until the engine is there.
      this.logger.warn(
        `The RTMP ingest cannot run: ${(error as Error).message}. Start the Docker engine (README, "RTMP ingest"); Wave finds it when it comes.`,
      );
    }
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      this.subscription = await this.docker.watchContainerEvents(
        RTMP_LABELS,
        (e) => this.onContainerEvent(e),
        (error) => this.onStreamEnd(error),
      );
      if (this.closed) this.subscription.close();
      if (this.retrying) this.logger.log('Following Docker events again');
      this.retrying = false;
    } catch (error) {
      this.onStreamEnd(error as Error);
    }
  }

  private onStreamEnd(error?: Error): void {
    if (this.closed) return;
    // Said once per outage, not every retry.
    if (!this.retrying)
      this.logger.warn(`Docker event stream ended${error ? ` (${error.message})` : ''}; resubscribing every ${RESUBSCRIBE_DELAY_MS} ms`);
    this.retrying = true;
    this.retry = setTimeout(() => void this.subscribe(), RESUBSCRIBE_DELAY_MS);
  }

  private onContainerEvent(event: ContainerEvent): void {
    const state = STATE_OF_ACTION[event.action];
    if (!state) return;
    const exitCode = event.labels.exitCode !== undefined ? Number(event.labels.exitCode) : undefined;
    this.logger.log(`RTMP container ${event.containerId.slice(0, 12)} ${event.action}: ${state}`);
    this.events.emit('rtmp.container.state', { state, action: event.action, containerId: event.containerId, exitCode, at: event.time });
  }
}
