/**
 * What another feature may ask of the track library (the Telegram stream: whether there is anything to
 * play). An abstract class as the DI token: TracksModule binds it to TracksService and exports only it, so
 * a caller depends on these calls, not on the library's service or its document.
 */
export abstract class TrackLibrary {
  /**
   * Brings the playlist file the daemon reads (`audio-tracks.json`) up to date now, rather than at the next
   * background snapshot, and says how many tracks it holds: the daemon about to start plays what was just added.
   */
  abstract publishPlaylist(): Promise<number>;
}
