import { createHash } from 'node:crypto';
import { WaveError } from '../common/wave-error.js';
import type { TrackFilter, TrackPageQuery, TrackSort } from '../repositories/track.repository.js';

/** What a cursor carries: where the previous page ended, and for which list (sort, order, filter). */
interface CursorContent {
  v: 1;
  /** Sort and order it was made for. */
  s: TrackSort;
  o: 'asc' | 'desc';
  /** A digest of the filter it was made for. */
  f: string;
  /** The last track's sort key and id. */
  k: string | number;
  i: string;
}

type ListShape = Pick<TrackPageQuery, 'sort' | 'order'> & TrackFilter;

/** Opaque to callers: base64url JSON. Not a secret (it holds a sort key and an id the caller has seen). */
export function encodeTrackCursor(list: ListShape, last: { key: string | number; id: string }): string {
  const content: CursorContent = { v: 1, s: list.sort, o: list.order, f: filterDigest(list), k: last.key, i: last.id };
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
}

/**
 * The position a cursor names, for the list it was made for; 400 `invalid_cursor` (naming `cursor`) when it is
 * not one of ours, or was made for another sort, order or filter (its position would mean nothing there).
 */
export function decodeTrackCursor(cursor: string, list: ListShape): { key: string | number; id: string } {
  let content: Partial<CursorContent>;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorContent>;
  } catch {
    throw invalid('cursor is not a cursor this list returned');
  }
  const keyType = list.sort === 'position' || list.sort === 'duration' ? 'number' : 'string';
  if (
    content === null ||
    typeof content !== 'object' ||
    content.v !== 1 ||
    typeof content.i !== 'string' ||
    content.i.length > 128 ||
    typeof content.k !== keyType ||
    (typeof content.k === 'string' && content.k.length > 4096)
  ) {
    throw invalid('cursor is not a cursor this list returned');
  }
  if (content.s !== list.sort || content.o !== list.order || content.f !== filterDigest(list)) {
    throw invalid('cursor belongs to a list with another sort, order or filter; send the same query parameters as for the first page');
  }
  return { key: content.k!, id: content.i };
}

function filterDigest(filter: TrackFilter): string {
  const { search, genre, album, artist, tag } = filter;
  return createHash('sha256')
    .update(JSON.stringify([search ?? null, genre ?? null, album ?? null, artist ?? null, tag ?? null]))
    .digest('base64url')
    .slice(0, 12);
}

function invalid(message: string): WaveError {
  return new WaveError(400, 'invalid_cursor', [message]);
}
