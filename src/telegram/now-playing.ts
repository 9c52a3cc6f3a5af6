import type { NowPlaying } from '../contracts/socket-events.js';

/** Now playing as the rule keeps it and `now-playing.json` stores it; `next` is the programme's, added when read. */
export type Playing = Omit<NowPlaying, 'next'>;

/** What Wave learns that bears on now playing: the daemon's reports, PM2's word on the daemon, the library. */
export type NowPlayingFact =
  /** The daemon's `track-started` report (the track's first audio reached the ingest). */
  | { fact: 'track-started'; nowPlaying: Playing }
  /** The daemon's `track-ended` report. */
  | { fact: 'track-ended'; trackId: string }
  /**
   * PM2 (a read, an exit/stop/delete event, a stop by request) or the daemon itself (`daemon-stopped`)
   * says whether the daemon runs: PM2 states `online` and `launching` are running, any other is not.
   */
  | { fact: 'daemon'; running: boolean }
  /** Tracks left the library (`tracks.updated`, reason `deleted`). */
  | { fact: 'tracks-removed'; trackIds: string[] };

/**
 * The one rule of now playing: the track the daemon last reported starting, from that report until its
 * `track-ended`, or until the daemon is known not to run. PM2 not answering is no fact (nothing changes),
 * so with PM2 slow every answer shows the same track. A track removed from the library plays on to its
 * end (the decoder holds the file); its duration is then null.
 */
export function nextNowPlaying(current: Playing | null, event: NowPlayingFact): Playing | null {
  switch (event.fact) {
    case 'track-started':
      return { ...event.nowPlaying };
    case 'track-ended':
      return current?.trackId === event.trackId ? null : current;
    case 'daemon':
      return event.running ? current : null;
    case 'tracks-removed':
      return current && event.trackIds.includes(current.trackId) ? { ...current, duration: null } : current;
  }
}

/** PM2 states in which the daemon is (or is about to be) running. */
export const RUNNING_STATES: ReadonlySet<string> = new Set(['online', 'launching']);

/** Whether PM2's state of the daemon (null: PM2 does not know it) is a running one. */
export function isRunningState(status: string | null | undefined): boolean {
  return !!status && RUNNING_STATES.has(status);
}
