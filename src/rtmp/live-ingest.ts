/**
 * What a relay of Wave's RTMP ingest (the Telegram stream's live takeover) needs of it: who is live, and
 * the key-free input URL of a publisher. An abstract class as the DI token: RtmpModule binds it to
 * RtmpService, so the relay depends on these three calls, not on the ingest's lifecycle.
 */
export abstract class LiveIngest {
  /**
   * Publishers live on the configured application now, longest on the air first (nginx-rtmp's /stat;
   * the engine only where nginx does not answer, and not with `askEngine: false`). Empty when no ingest
   * runs; throws when neither answers (a DockerTimeoutError when the engine did not answer in its bound).
   */
  abstract livePublishers(options?: { askEngine?: boolean }): Promise<Array<{ publisherId: string; clientId?: number }>>;

  /** The ingest's input for its first stream key: `rtmp://<host>:<port>/<application>/<publisherId>` (no key in it). */
  abstract liveInputUrl(): Promise<string>;

  /** The input of the publisher a publish event names, or null when no configured key is that publisher's. */
  abstract liveInputUrlForPublisher(publisherId: string): Promise<string | null>;
}
