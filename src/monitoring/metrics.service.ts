import { LeadershipService } from '../leadership/leadership.service.js';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OnEvent } from '@nestjs/event-emitter';
import type { WaveEventMap } from '../bus/wave-events.js';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DESTINATION_STATES, type DestinationStatus } from '../contracts/destinations.js';
import { SocketAudience } from '../streaming/socket-audience.js';
import { StreamingStatusService } from '../streaming/streaming-status.service.js';

const HTTP_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const DEFAULT_METRICS_PREFIX = 'wave_';
/**
 * prom-client's default gauges named like counters (`_total`), which Prometheus' naming rules (and
 * `promtool check metrics`) refuse. Each only repeats the sum of its by-type gauge
 * (`sum(wave_nodejs_active_handles)`), so they are dropped rather than renamed.
 */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Wave's Prometheus metrics, in a registry of its own (not prom-client's global one, so several apps in
 * one process stay apart). Service gauges are read at scrape time from the streaming status.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'wave_http_request_duration_seconds',
    help: 'HTTP request durations by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly trackChanges = new Counter({
    name: 'wave_track_changes_total',
    help: 'Tracks started by the Telegram daemon since Wave started',
    registers: [this.registry],
  });

  readonly streamReconnects: Counter;

  readonly webhookAttempts = new Counter({
    name: 'wave_webhook_deliveries_total',
    help: 'Attempts to deliver webhook events by this instance, by event type and outcome (delivered, retrying, failed)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    audience: SocketAudience,
    status: StreamingStatusService,
    leadership: LeadershipService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: DEFAULT_METRICS_PREFIX });
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(DEFAULT_METRICS_PREFIX + name);
    new Gauge({
      name: 'wave_socket_clients',
      help: 'Socket.IO clients connected to this instance, by namespace',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      collect() {
        this.set({ namespace: '/' }, audience.count('public'));
        this.set({ namespace: '/admin' }, audience.count('admin'));
      },
    });
    new Gauge({
      name: 'wave_leader',
      help: "1 on the instance that leads the station (its station metrics are the station's), 0 on the others",
      registers: [this.registry],
      collect() {
        this.set(leadership.isLeader ? 1 : 0);
      },
    });
    new Gauge({
      name: 'wave_rtmp_ingest_up',
      help: '1 while the RTMP ingest container runs',
      registers: [this.registry],
      async collect() {
        this.set((await status.current()).rtmp.state === 'running' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'wave_rtmp_publishers',
      help: 'Publishers (DJs) connected to the RTMP ingest',
      registers: [this.registry],
      async collect() {
        this.set((await status.current()).rtmp.publishers);
      },
    });
    // The daemon counts its reconnects (and reports them with its stats); counting Wave's status events
    // instead counted one more whenever anything else changed while a reconnect was pending.
    this.streamReconnects = new Counter({
      name: 'wave_telegram_stream_reconnects_total',
      help: 'Reconnects of the Telegram stream to its ingest, as the running daemon counts them (starts over with the daemon)',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc((await status.current()).telegram.reconnects);
      },
    });
    new Gauge({
      name: 'wave_telegram_stream_connected',
      help: '1 while the Telegram daemon is connected to its ingest',
      registers: [this.registry],
      async collect() {
        this.set((await status.current()).telegram.connection === 'connected' ? 1 : 0);
      },
    });
    this.destinationMetrics(status);
  }

  /**
   * One series per destination (labelled by id and name), read from the streaming status at scrape time; a deleted
   * destination's series go with it. Counters start over with the daemon, as its own counts do.
   */
  private destinationMetrics(status: StreamingStatusService): void {
    const registers = [this.registry];
    const labelNames = ['destination', 'name'] as const;
    const each = async (gauge: Gauge<'destination' | 'name'>, value: (d: DestinationStatus) => number) => {
      gauge.reset();
      for (const d of (await status.current()).destinations) gauge.set({ destination: d.id, name: d.name }, value(d));
    };
    new Gauge({
      name: 'wave_destination_up',
      help: '1 while the daemon pushes live to the simulcast destination',
      labelNames,
      registers,
      async collect() {
        await each(this, (d) => (d.connection.state === 'live' ? 1 : 0));
      },
    });
    new Gauge({
      name: 'wave_destination_state',
      help: "1 for the destination's connection state (connecting, live, retrying, failed, disabled), 0 for the others",
      labelNames: ['destination', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        for (const d of (await status.current()).destinations)
          for (const state of DESTINATION_STATES) this.set({ destination: d.id, state }, d.connection.state === state ? 1 : 0);
      },
    });
    new Counter({
      name: 'wave_destination_reconnects_total',
      help: 'Reconnects of the destination, as the running daemon counts them (starts over with the daemon)',
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const d of (await status.current()).destinations) this.inc({ destination: d.id, name: d.name }, d.connection.reconnects);
      },
    });
    new Gauge({
      name: 'wave_destination_bitrate_kbps',
      help: 'Bitrate sent to the destination over the last stats period (0 unless live)',
      labelNames,
      registers,
      async collect() {
        await each(this, (d) => d.connection.bitrateKbps);
      },
    });
    new Gauge({
      name: 'wave_destination_uptime_seconds',
      help: "Seconds the destination's current connection has been live (0 unless live)",
      labelNames,
      registers,
      async collect() {
        await each(this, (d) => d.connection.uptimeSec);
      },
    });
  }

  @OnEvent('track.changed')
  countTrackChange(): void {
    this.trackChanges.inc();
  }

  @OnEvent('webhook.attempted')
  countWebhookAttempt({ type, outcome }: WaveEventMap['webhook.attempted']): void {
    this.webhookAttempts.inc({ type, outcome });
  }

  /** Times every HTTP request by its route template (not its URL, so the label set stays small). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      this.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
