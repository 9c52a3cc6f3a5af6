import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { WaveEvents } from '../bus/wave-events.js';
import { AppConfig } from '../config/app-config.js';
import { LeaderLockRepository } from '../repositories/leader-lock.repository.js';
import type { StationLeader } from '../contracts/socket-events.js';
import { LeaderRepository } from '../repositories/leader.repository.js';

/** How often a follower tries the lock (and a leader checks it still holds it): a dead leader is replaced within about this. */
export const LEADER_POLL_MS = 1_000;

/**
 * Work only the leader does: started when this instance takes the lead (at once if it leads already), stopped when it
 * loses it. `start` is told whether the lead was taken later (`takenOver`: a leader died or lost it), not at boot.
 */
interface Role {
  name: string;
  start: (takenOver: boolean) => void | Promise<void>;
  stop: () => void | Promise<void>;
}

/**
 * Several Wave instances serve one station, and exactly one of them acts for it: the holder of the leader lock
 * (LeaderLockRepository) drives the ingest container and the Telegram daemon, follows Docker's and PM2's events,
 * answers nginx-rtmp's publish callbacks and makes the take-over decisions. Every instance tries the lock at boot
 * (before any feature starts, so a lone instance leads from its first moment) and then every LEADER_POLL_MS; the
 * one that gets it announces itself in the database, where the others read where to forward station commands.
 * Features register what they do as leader with `whileLeading`.
 */
@Injectable()
export class LeadershipService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LeadershipService.name);
  /** Unique per process: a restarted instance is a new one. */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly url: string;
  private leading = false;
  private announcedSelf = false;
  private known: StationLeader | null = null;
  private readonly roles: Role[] = [];
  private timer: NodeJS.Timeout | null = null;
  private electing: Promise<void> | null = null;
  private lastProblem: string | null = null;
  private closed = false;

  constructor(
    private readonly config: AppConfig,
    private readonly lock: LeaderLockRepository,
    private readonly leaders: LeaderRepository,
    private readonly events: WaveEvents,
  ) {
    this.url = config.advertiseUrl ?? defaultAdvertiseUrl(config.host, config.port);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The instance that leads, as this one knows it (itself when it leads). */
  get leader(): StationLeader | null {
    return this.known;
  }

  /** Runs `start` whenever this instance takes the lead (now, if it leads) and `stop` when it loses it. */
  async whileLeading(name: string, start: Role['start'], stop: Role['stop']): Promise<void> {
    const role = { name, start, stop };
    this.roles.push(role);
    if (this.leading) await this.run(role, 'start', false);
  }

  async onModuleInit(): Promise<void> {
    await this.elect();
    if (this.leading) return;
    this.logger.log(`Instance ${this.instanceId} follows ${this.known ? `${this.known.instanceId} (${this.known.url})` : 'no leader yet'}`);
    // The station's events are raised where the leader is; only Redis carries them to this instance's sockets.
    if (!this.config.redisUrl)
      this.logger.warn('REDIS_URL is not set: the Socket.IO clients of this instance hear none of the station events the leader raises');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.elect(), LEADER_POLL_MS);
    this.timer.unref();
  }

  /** The lock goes last, once the features have stopped, so the next leader finds their work done. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.electing;
    if (this.leading) await this.stepDown('shutting down');
    await this.lock.release();
  }

  /** One round: a leader checks it still holds the lock, a follower tries to take it and reads who leads. */
  elect(): Promise<void> {
    this.electing ??= this.round().finally(() => (this.electing = null));
    return this.electing;
  }

  private async round(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.leading) {
        if (!(await this.lock.stillHeld())) await this.stepDown('the leader lock was lost');
        else if (!this.announcedSelf) await this.announce();
      } else if (await this.lock.tryAcquire()) {
        await this.lead();
      }
      if (!this.leading) this.known = await this.leaders.current();
      this.problem(null);
    } catch (error) {
      this.problem(`the leader election could not run: ${(error as Error).message}`);
    }
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.known = { instanceId: this.instanceId, url: this.url, since: new Date().toISOString() };
    await this.announce().catch((error: Error) => this.problem(`could not announce the lead (tried again): ${error.message}`));
    this.logger.log(`Instance ${this.instanceId} leads the station (${this.lock.describe()}); others reach it at ${this.url}`);
    this.events.emit('leadership.changed', { instanceId: this.instanceId, leader: true, leaderId: this.instanceId, at: this.known.since });
    for (const role of this.roles) await this.run(role, 'start', true);
  }

  private async stepDown(reason: string): Promise<void> {
    this.leading = false;
    this.announcedSelf = false;
    this.known = null;
    this.logger.warn(`Instance ${this.instanceId} no longer leads the station: ${reason}`);
    for (const role of [...this.roles].reverse()) await this.run(role, 'stop', false);
    this.events.emit('leadership.changed', { instanceId: this.instanceId, leader: false, leaderId: null, at: new Date().toISOString() });
  }

  private async announce(): Promise<void> {
    if (!this.known) return;
    await this.leaders.announce(this.known);
    this.announcedSelf = true;
  }

  private async run(role: Role, step: 'start' | 'stop', takenOver: boolean): Promise<void> {
    try {
      await (step === 'start' ? role.start(takenOver) : role.stop());
    } catch (error) {
      this.logger.error(`could not ${step} ${role.name} as the leader: ${(error as Error).message}`);
    }
  }

  /** A failing round is said once, and its end once, not every second. */
  private problem(message: string | null): void {
    if (message === this.lastProblem) return;
    if (message) this.logger.warn(message);
    else if (this.lastProblem) this.logger.log('the leader election runs again');
    this.lastProblem = message;
  }
}

/**
 * Where this instance listens (HOST), when that is one address; listening on every address, inside a container
 * (/.dockerenv) its first external IPv4 address, which its neighbours on the Docker network reach, else loopback
 * (instances on one host).
 */
export function defaultAdvertiseUrl(host: string, port: number, inContainer = existsSync('/.dockerenv')): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard) return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (inContainer) {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (address) return `http://${address}:${port}`;
  }
  return `http://127.0.0.1:${port}`;
}
