import { createHash } from 'node:crypto';
import { WaveError } from '../common/wave-error.js';
import type { PlayPageQuery } from '../repositories/play-history.repository.js';

/** The query a cursor belongs to: order and filter (times already normalized to `toISOString()`). */
export type HistoryListShape = Pick<PlayPageQuery, 'order' | 'from' | 'to' | 'source'>;

/** What a cursor carries: where the previous page ended, and for which query. */
interface CursorContent {
  /** Marks a history cursor (a track-list cursor is refused here, and the other way round). */
  h: 1;
  o: 'asc' | 'desc';
  /** A digest of the filter it was made for. */
  f: string;
  /** The last row's started_at and id. */
  k: string;
  i: string;
}

/** `toISOString()`'s shape: what started_at holds. */
const STORED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Opaque to callers: base64url JSON. Not a secret (a start time and an id the caller has seen). */
export function encodeHistoryCursor(list: HistoryListShape, last: { startedAt: string; id: string }): string {
  const content: CursorContent = { h: 1, o: list.order, f: filterDigest(list), k: last.startedAt, i: last.id };
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
}

/**
 * The position a cursor names, for the query it was made for; 400 `invalid_cursor` (naming `cursor`) when it is
 * not one of ours, or was made for another order or filter (its position would mean nothing there).
 */
export function decodeHistoryCursor(cursor: string, list: HistoryListShape): { startedAt: string; id: string } {
  let content: Partial<CursorContent> | null;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorContent> | null;
  } catch {
    throw invalid('cursor is not a cursor this list returned');
  }
  if (
    content === null ||
    typeof content !== 'object' ||
    content.h !== 1 ||
    typeof content.k !== 'string' ||
    !STORED_TIME.test(content.k) ||
    typeof content.i !== 'string' ||
    content.i.length === 0 ||
    content.i.length > 128
  ) {
    throw invalid('cursor is not a cursor this list returned');
  }
  if (content.o !== list.order || content.f !== filterDigest(list)) {
    throw invalid('cursor belongs to a list with another order or filter; send the same query parameters as for the first page');
  }
  return { startedAt: content.k, id: content.i };
}

function filterDigest({ from, to, source }: HistoryListShape): string {
  return createHash('sha256')
    .update(JSON.stringify([from ?? null, to ?? null, source ?? null]))
    .digest('base64url')
    .slice(0, 12);
}

function invalid(message: string): WaveError {
  return new WaveError(400, 'invalid_cursor', [message]);
}
