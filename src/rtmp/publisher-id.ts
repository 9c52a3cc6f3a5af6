import { createHmac, randomBytes } from 'node:crypto';

/** Keyed per process, so an id cannot be turned back into its key by guessing keys offline. */
const PROCESS_KEY = randomBytes(32);

/**
 * An opaque id for a stream key, stable while this Wave process runs. Publish events name a publisher
 * by it (never by its key), so a listener such as the live takeover can ask RtmpService for that
 * publisher's input without the key travelling on the event bus.
 */
export function publisherIdOf(streamKey: string): string {
  return createHmac('sha256', PROCESS_KEY).update(streamKey).digest('base64url').slice(0, 16);
}
