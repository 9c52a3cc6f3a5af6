import { decodePageCursor, encodePageCursor } from '../common/page-cursor.js';
import type { PlayPageQuery } from '../repositories/play-history.repository.js';

/** The query a cursor belongs to: order and filter (times already normalized to `toISOString()`). */
export type HistoryListShape = Pick<PlayPageQuery, 'order' | 'from' | 'to' | 'source'>;

/** `toISOString()`'s shape: what started_at holds. */
const STORED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function queryOf({ order, from, to, source }: HistoryListShape): unknown[] {
  return [order, from, to, source];
}

export function encodeHistoryCursor(list: HistoryListShape, last: { startedAt: string; id: string }): string {
  return encodePageCursor('history', queryOf(list), { key: last.startedAt, id: last.id });
}

/** The position a history cursor names; 400 `invalid_cursor` otherwise (see decodePageCursor). */
export function decodeHistoryCursor(cursor: string, list: HistoryListShape): { startedAt: string; id: string } {
  const isTime = (key: unknown): key is string => typeof key === 'string' && STORED_TIME.test(key);
  const { key, id } = decodePageCursor(cursor, 'history', queryOf(list), isTime);
  return { startedAt: key, id };
}
