import { format } from 'winston';

/**
 * Secrets (stream keys, tokens) must never reach a log line, a response or an event. Values Wave knows
 * are registered here and scrubbed from every log line; well-known shapes are scrubbed even when not
 * registered (a stream key in an ffmpeg URL, a bearer token, a Telegram key).
 */
const registered = new Set<string>();
const MASK = '****';

/** Field names whose values are always secret, wherever they appear in a logged object. */
const SECRET_FIELD =
  /^(authorization|cookie|password|secret|token|apitoken|api_token|streamkey|stream_key|key|keys|streamkeys|stream_keys)$/i;

const PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${MASK}`],
  // Credentials in a URL (`https://user:pass@host/…`).
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"]+@/gi, `$1${MASK}@`],
  // Secret-looking query parameters (`?token=…`, `&key=…`).
  [/([?&](?:token|key|pass|password|secret|auth|sig|signature|api_?key|access_token)=)[^&#\s'"]+/gi, `$1${MASK}`],
  // The last path segment of an RTMP(S) publish URL is the stream key.
  [/(rtmps?:\/\/[^\s/'"]+\/[^\s/'"]+\/)[^\s'"]+/gi, `$1${MASK}`],
  // Telegram stream keys look like 1234567890:AbCdEf...
  [/\b\d{6,}:[A-Za-z0-9_-]{16,}\b/g, MASK],
];

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.add(value);
}

/** Every pattern above needs one of these: a text without any (most paths, most log lines' fields) skips them all. */
const PATTERN_HINT = /[?&:]|bearer/i;

export function redact(text: string): string {
  let out = text;
  for (const secret of registered) if (out.includes(secret)) out = out.split(secret).join(MASK);
  if (!PATTERN_HINT.test(out)) return out;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Shows only that a secret is set and its last characters, e.g. `****wxyz`. */
export function maskSecret(value: string | undefined | null): string | null {
  if (!value) return null;
  return value.length >= 12 ? `${MASK}${value.slice(-4)}` : MASK;
}

/** Deep copy of `value` with secret fields masked and every string scrubbed. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return redact(value.stack ?? value.message);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) && v !== null && v !== undefined && v !== '' ? MASK : redactValue(v, depth + 1);
  }
  return out;
}

/** winston format applying redactValue to the message and every meta field of a log entry. */
export const redactionFormat = format((info) => {
  for (const key of Object.keys(info)) {
    (info as Record<string, unknown>)[key] = SECRET_FIELD.test(key) ? MASK : redactValue(info[key]);
  }
  return info;
});
