import { decodePageCursor, encodePageCursor, type PagePosition } from '../common/page-cursor.js';
import type { TrackFilter, TrackPageQuery } from '../repositories/track.repository.js';

type ListShape = Pick<TrackPageQuery, 'sort' | 'order'> & TrackFilter;

/** The query's values a cursor is bound to, in a fixed order. */
function queryOf({ sort, order, search, genre, album, artist, tag }: ListShape): unknown[] {
  return [sort, order, search, genre, album, artist, tag];
}

export function encodeTrackCursor(list: ListShape, last: PagePosition<string | number>): string {
  return encodePageCursor('tracks', queryOf(list), last);
}

/** The position a track-list cursor names; 400 `invalid_cursor` otherwise (see decodePageCursor). */
export function decodeTrackCursor(cursor: string, list: ListShape): PagePosition<string | number> {
  // Position and duration sort by number; the other sorts by (lower-cased) text.
  const numeric = list.sort === 'position' || list.sort === 'duration';
  const isKey = (key: unknown): key is string | number =>
    numeric ? typeof key === 'number' && Number.isFinite(key) : typeof key === 'string' && key.length <= 4096;
  return decodePageCursor(cursor, 'tracks', queryOf(list), isKey);
}
