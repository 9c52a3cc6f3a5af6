import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RawAnswer {
  /** 0: the server closed the connection while the request was being sent. */
  status: number;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  body: unknown;
  text: string;
  requestId: string | null;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** One request exactly as given (no JSON encoding on the way): hostile bodies are sent as built. */
export async function send(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    // A server that answers a body over its limit (413) closes the connection while the client still writes it:
    // the client may then see the broken pipe before the answer. Told apart, for the caller to judge.
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EPIPE' || code === 'ECONNRESET')
      return { status: 0, body: undefined, text: `connection closed while sending (${code})`, requestId: null };
    throw error;
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, requestId: res.headers.get('x-request-id') };
}

/**
 * What is wrong with an error answer's shape (`{ statusCode, error, code?, message[], requestId }`, the
 * status in the body, the request id as in the header), or undefined when it has the one shape.
 */
export function errorShapeProblem(answer: RawAnswer): string | undefined {
  const body = answer.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `not a JSON object: ${answer.text.slice(0, 200)}`;
  if (body.statusCode !== answer.status) return `statusCode ${String(body.statusCode)} for HTTP ${answer.status}`;
  if (typeof body.error !== 'string' || body.error === '') return 'no error text';
  if (!Array.isArray(body.message) || body.message.length === 0 || !body.message.every((m) => typeof m === 'string' && m !== '')) {
    return `message is not a list of strings: ${JSON.stringify(body.message)?.slice(0, 200)}`;
  }
  if (body.code !== undefined && (typeof body.code !== 'string' || body.code === '')) return `code ${JSON.stringify(body.code)}`;
  if (typeof body.requestId !== 'string' || body.requestId !== answer.requestId)
    return `requestId ${String(body.requestId)} (header ${answer.requestId})`;
  return undefined;
}

/** sha256 of every file directly in `dir` (the data documents), by name. */
export async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // The database's files change with runtime state an accepted request may record (the play history's last-known
    // time); the library in it is compared through the API instead (libraryContent).
    if (!entry.isFile() || /\.db(-wal|-shm)?$/.test(entry.name)) continue;
    const content = await readFile(join(dir, entry.name));
    out[entry.name] = createHash('sha256')
      .update(entry.name === 'audio-tracks.json' ? snapshotTracks(content) : content)
      .digest('hex');
  }
  return out;
}

/**
 * The library snapshot's tracks, without its `libraryVersion` header: a change that leaves the tracks as they were
 * (a reorder into the same order) still raises the version, and the snapshot is rewritten with the new number.
 */
function snapshotTracks(content: Buffer): string {
  try {
    return JSON.stringify((JSON.parse(content.toString('utf8')) as { tracks: unknown }).tracks);
  } catch {
    return content.toString('utf8');
  }
}

/** The whole library as the API lists it (the database's content a hostile request must leave as it was). */
export async function libraryContent(baseUrl: string, headers: Record<string, string> = {}): Promise<unknown[]> {
  const tracks: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = (await fetch(`${baseUrl}/api/tracks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers }).then((r) =>
      r.json(),
    )) as {
      tracks: unknown[];
      nextCursor: string | null;
    };
    tracks.push(...page.tracks);
    cursor = page.nextCursor;
  } while (cursor);
  return tracks;
}

/**
 * Waits until `audio-tracks.json`, which Wave rewrites in the background after a change, lists what the API lists:
 * a fingerprint taken before that would see the snapshot of the setup's own changes arrive later.
 */
export async function librarySnapshotSettled(baseUrl: string, dataDir: string): Promise<void> {
  const listed = await fetch(`${baseUrl}/api/tracks?limit=1000`).then((r) => r.json() as Promise<{ tracks: Array<{ id: string }> }>);
  const want = JSON.stringify(listed.tracks.map((t) => t.id));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await readFile(join(dataDir, 'audio-tracks.json'), 'utf8').catch(() => '');
    try {
      if (JSON.stringify((JSON.parse(text) as { tracks: Array<{ id: string }> }).tracks.map((t) => t.id)) === want) return;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`audio-tracks.json did not list ${want} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** JSON text nested `levels` deep (arrays), built as text: JSON.stringify of such a value would overflow. */
export function nestedJson(levels: number, inner = '1'): string {
  return `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
}

/** About `bytes` of JSON nested as deep as it goes: `{"a":{"a":…}}`. */
export function deepObjectJson(bytes: number): string {
  const levels = Math.floor(bytes / 6);
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}
