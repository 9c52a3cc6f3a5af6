/**
 * The track library as its file holds it, for readers outside Wave's process: the Telegram daemon reads
 * the playlist from it (Wave's track library writes it, as a snapshot of its database). Like socket-events.ts
 * this imports nothing, so neither the writer nor a reader depends on the other's code: both depend on this contract.
 */

/** `DATA_DIR/<file>`: the library and its play order (the array order). */
export const TRACK_LIBRARY_FILE = 'audio-tracks.json';

/** Folder (under DATA_DIR) holding uploaded track files; a track's relative `path` is taken from it. */
export const TRACKS_DIR = 'tracks';

/** One track as the file holds it. */
export interface LibraryTrack {
  id: string;
  title: string;
  artist: string;
  /** From the file's tags; '' when it has none (a file written by an older Wave has no such field). */
  album: string;
  genre: string;
  /** The operator's labels (e.g. `night`, `jingle`), first read from the file's grouping or mood tag. */
  tags: string[];
  /** Absolute, or relative to `DATA_DIR/tracks`. */
  path: string;
  /** Seconds, from ffprobe. */
  duration: number;
  addedAt: string;
  /** The loudness analysis' result (EBU R128); null (or absent, in a file an older Wave wrote) until it was measured. */
  loudness?: TrackLoudness | null;
  /**
   * Where playing starts and ends, in seconds into the file: the operator's cue where one is set, else the end of the
   * leading silence and the start of the trailing silence the analysis found; null (or absent): the file's own start
   * or end.
   */
  cueIn?: number | null;
  cueOut?: number | null;
}

/** One ffmpeg pass over the whole file measures it when it enters the library (a background job measures older tracks). */
export interface TrackLoudness {
  /** Integrated loudness, LUFS (EBU R128 / ITU-R BS.1770). */
  integratedLufs: number;
  /** Loudness range, LU. */
  rangeLu: number;
  /** True peak, dBTP. */
  truePeakDbtp: number;
}

/** The file's content (other fields a reader does not know are ignored). */
export interface TrackLibraryFile {
  tracks: LibraryTrack[];
}
