import { Injectable } from '@nestjs/common';
import type { ConnectionState, DaemonSourceKind, StatsMessage } from './daemon/daemon-messages.js';

/** What the daemon last reported over PM2's bus (its own facts, which PM2 does not hold). */
export interface DaemonReport {
  connection: ConnectionState | 'unknown';
  source: { kind: DaemonSourceKind; label: string } | null;
  stats: StatsMessage | null;
  lastError: { code: string; message: string; at: string } | null;
  reportedAt: string | null;
}

export const UNKNOWN_REPORT: DaemonReport = { connection: 'unknown', source: null, stats: null, lastError: null, reportedAt: null };

/**
 * The one copy of the daemon's reports in Wave: TelegramStreamService writes it from the bus, the live
 * takeover reads what the daemon has on the air from it.
 */
@Injectable()
export class TelegramDaemonReport {
  current: DaemonReport = { ...UNKNOWN_REPORT };

  /** What the daemon reports on the air; null before its first report (e.g. a Wave restarted mid-show). */
  get onAir(): DaemonSourceKind | null {
    return this.current.source?.kind ?? null;
  }
}
