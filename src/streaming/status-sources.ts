import { Injectable } from '@nestjs/common';
import type { NowPlaying, RtmpStatusView, TelegramState, TelegramStatusView } from '../contracts/socket-events.js';
import type { DestinationStatus } from '../contracts/destinations.js';
import { DestinationsService } from '../destinations/destinations.service.js';
import { RtmpService } from '../rtmp/rtmp.service.js';
import { NowPlayingService } from '../telegram/now-playing.service.js';
import { TelegramStreamService } from '../telegram/telegram-stream.service.js';

/**
 * Where the streaming status reads each service's state. Each is an abstract class used as a DI token:
 * StreamingModule binds it to the module that owns the state (Docker for RTMP, PM2 for Telegram), so the
 * status is read from the real systems, and specs bind a fake.
 */
export abstract class RtmpStatusSource {
  abstract read(): Promise<RtmpStatusView>;
}

export abstract class TelegramStatusSource {
  abstract read(): Promise<TelegramStatusView>;
}

export abstract class DestinationsStatusSource {
  abstract read(): Promise<DestinationStatus[]>;
}

/** The destinations from their owner (settings from the document, connections from the daemon's reports in memory). */
@Injectable()
export class ReportedDestinationsStatusSource extends DestinationsStatusSource {
  constructor(private readonly destinations: DestinationsService) {
    super();
  }

  read(): Promise<DestinationStatus[]> {
    return this.destinations.statuses();
  }
}

export abstract class NowPlayingSource {
  abstract read(): NowPlaying | null;
}

/** Now playing from its owner (memory; the one rule is applied there). */
@Injectable()
export class TelegramNowPlayingSource extends NowPlayingSource {
  constructor(private readonly nowPlaying: NowPlayingService) {
    super();
  }

  read(): NowPlaying | null {
    return this.nowPlaying.current();
  }
}

/** The ingest container as Docker holds it, with the publishers nginx-rtmp's /stat shows. */
@Injectable()
export class DockerRtmpStatusSource extends RtmpStatusSource {
  constructor(private readonly rtmp: RtmpService) {
    super();
  }

  async read(): Promise<RtmpStatusView> {
    try {
      const status = await this.rtmp.status();
      const running = status.state === 'running';
      return {
        state: running ? 'running' : status.state === 'restarting' ? 'starting' : 'stopped',
        publishers: status.stats?.publishers.length ?? 0,
        port: running ? Number(new URL(status.publishUrl).port) || null : null,
        detail: status.statsError ?? (status.state === 'paused' ? 'the container is paused' : null),
      };
    } catch (error) {
      return { state: 'unknown', publishers: 0, port: null, detail: (error as Error).message };
    }
  }
}

/** PM2's process states, in the status vocabulary. */
const TELEGRAM_STATES: Record<string, TelegramState> = {
  online: 'online',
  launching: 'starting',
  stopping: 'stopped',
  stopped: 'stopped',
  not_started: 'stopped',
  errored: 'errored',
};

/** The daemon as PM2 holds it, with the connection and source the daemon last reported. */
@Injectable()
export class Pm2TelegramStatusSource extends TelegramStatusSource {
  constructor(private readonly telegram: TelegramStreamService) {
    super();
  }

  async read(): Promise<TelegramStatusView> {
    try {
      const daemon = await this.telegram.daemonState();
      const state = TELEGRAM_STATES[daemon.state] ?? 'unknown';
      return {
        state,
        connection: daemon.connection,
        source: daemon.source,
        reconnects: daemon.reconnects,
        detail: state === 'unknown' ? `PM2 state ${daemon.state}` : null,
      };
    } catch (error) {
      return { state: 'unknown', connection: 'unknown', source: null, reconnects: 0, detail: (error as Error).message };
    }
  }
}
