import type { DaemonSourceKind, DaemonTrack } from '../../contracts/daemon-messages.js';

/** PCM read from a source; `track` is set when `data` begins a new track. */
export interface PcmChunk {
  data: Buffer;
  track?: DaemonTrack;
}

/**
 * Something the feeder can put on the air. Sources decode ahead into their own buffer; the feeder pulls
 * exactly what the clock says is due.
 */
export interface AudioSource {
  readonly kind: DaemonSourceKind;
  /** For logs and reports; never carries credentials or stream keys. */
  readonly label: string;
  /** Start (or resume) decoding. */
  activate(): void;
  /** Leave the air: stop what plays now. The playlist keeps its next track decoded, so it can resume at once. */
  deactivate(): void;
  /** Bytes of whole frames ready now. */
  available(): number;
  read(maxBytes: number): PcmChunk | null;
  /** Nothing more will come (until activated again). */
  readonly finished: boolean;
  /**
   * End the current track now (a `skip`): the next one plays from the very next read. True when a track that was on
   * the air ended. Only the playlist has tracks to skip.
   */
  skip?(): boolean;
  /** Release everything for good. */
  close(): void;
}
