/**
 * What another feature may ask of the track library (the Telegram stream: whether there is anything to
 * play). An abstract class as the DI token: TracksModule binds it to TracksService and exports only it, so
 * a caller depends on these calls, not on the library's service or its document.
 */
export abstract class TrackLibrary {
  /** How many tracks the playlist has. */
  abstract trackCount(): Promise<number>;
}
