import { createHash } from 'node:crypto';
import { WaveError } from './wave-error.js';

/** Where a page ended: the last item's sort key and id (a keyset position). */
export interface PagePosition<K extends string | number> {
  key: K;
  id: string;
}

/** What a cursor carries: which list, a digest of the query it was made for, and the position. */
interface CursorContent {
  l: string;
  q: string;
  k: unknown;
  i: unknown;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The cursor of a page of `list` (e.g. `tracks`, `history`) for a query (its sort, order and filter values, in a
 * fixed order). Opaque to callers: base64url JSON. Not a secret: it holds a sort key and an id the caller has seen.
 */
export function encodePageCursor(list: string, query: unknown[], last: PagePosition<string | number>): string {
  const content: CursorContent = { l: list, q: digest(query), k: last.key, i: last.id };
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
}

/**
 * The position a cursor names, for the list and query it was made for; 400 `invalid_cursor` (naming `cursor`) when
 * it is not one of this list's, its key is not what `isKey` takes, or it was made for another query (its position
 * would mean nothing there).
 */
export function decodePageCursor<K extends string | number>(
  cursor: string,
  list: string,
  query: unknown[],
  isKey: (key: unknown) => key is K,
): PagePosition<K> {
  let content: Partial<CursorContent> | null;
  try {
    if (!BASE64URL.test(cursor)) throw new Error('not base64url');
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorContent> | null;
  } catch {
    throw invalid('cursor is not a cursor this list returned');
  }
  if (
    content === null ||
    typeof content !== 'object' ||
    content.l !== list ||
    typeof content.i !== 'string' ||
    content.i.length === 0 ||
    content.i.length > 128 ||
    !isKey(content.k)
  ) {
    throw invalid('cursor is not a cursor this list returned');
  }
  if (content.q !== digest(query)) {
    throw invalid('cursor belongs to a list with another sort, order or filter; send the same query parameters as for the first page');
  }
  return { key: content.k, id: content.i };
}

function digest(query: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify(query.map((value) => value ?? null)))
    .digest('base64url')
    .slice(0, 12);
}

function invalid(message: string): WaveError {
  return new WaveError(400, 'invalid_cursor', [message]);
}
