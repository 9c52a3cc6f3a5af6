import { ValidateBy, ValidationOptions } from 'class-validator';

/** Where the stream is pushed: an RTMP(S) ingest such as Telegram's `rtmps://dc4-1.rtmp.t.me/s/`. */
export const INGEST_URL_SCHEMES = ['rtmp', 'rtmps'] as const;
/**
 * What ffmpeg may fetch as a `url` source. Anything else (`file:`, `concat:`, `subfile:`, `pipe:`, …)
 * would let a config read the host's files.
 */
export const RADIO_URL_SCHEMES = ['http', 'https', 'rtmp', 'rtmps'] as const;

/** ffmpeg protocols a fetched source may use, including nested ones (HLS segments, TLS under https/rtmps). */
export const FETCH_PROTOCOL_WHITELIST = ['http', 'https', 'tcp', 'tls', 'rtmp', 'rtmps'].join(',');

/**
 * True when `value` is an absolute URL with a host that starts with `<scheme>://` for one of `schemes`.
 * Checked on the text ffmpeg will get, not only on what `new URL` makes of it: the URL parser lower-cases
 * the scheme and drops tabs and newlines, while ffmpeg matches protocols case-sensitively (`HTTP://` is
 * "Protocol not found") and reads a string whose prefix is not a protocol as a local file path.
 */
export function hasUrlScheme(value: unknown, schemes: readonly string[]): boolean {
  if (typeof value !== 'string' || /[\s\u0000-\u001f\u007f]/.test(value)) return false;
  if (!schemes.some((scheme) => value.startsWith(`${scheme}://`))) return false;
  try {
    return new URL(value).hostname.length > 0;
  } catch {
    return false;
  }
}

/** class-validator: the property is a URL with one of `schemes` (e.g. RADIO_URL_SCHEMES). */
export function IsUrlWithScheme(schemes: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUrlWithScheme',
      constraints: [schemes],
      validator: {
        validate: (value: unknown) => hasUrlScheme(value, schemes),
        defaultMessage: (args) => `${args?.property} must be a URL starting with ${schemes.map((s) => `${s}://`).join(', ')}`,
      },
    },
    options,
  );
}

/** The publish URL ffmpeg pushes to: the server URL with the stream key as its last path segment. */
export function publishUrl(serverUrl: string, streamKey: string): string {
  return serverUrl.endsWith('/') ? `${serverUrl}${streamKey}` : `${serverUrl}/${streamKey}`;
}
