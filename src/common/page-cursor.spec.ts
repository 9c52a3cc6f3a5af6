import { describe, expect, it } from 'vitest';
import { decodePageCursor, encodePageCursor } from './page-cursor.js';

const isNumber = (key: unknown): key is number => typeof key === 'number';
const refused = (cursor: string, list = 'tracks', query: unknown[] = ['position', 'asc']) => {
  try {
    decodePageCursor(cursor, list, query, isNumber);
    return null;
  } catch (error) {
    return (error as { code?: string; message: string }).message;
  }
};

describe('page cursors', () => {
  const cursor = encodePageCursor('tracks', ['position', 'asc', undefined], { key: 7, id: 't7' });

  it('give back the position for the list and query they were made for (undefined and null alike)', () => {
    expect(decodePageCursor(cursor, 'tracks', ['position', 'asc', null], isNumber)).toEqual({ key: 7, id: 't7' });
  });

  it.each([
    ['another list', () => refused(cursor, 'history'), /^cursor is not a cursor this list returned$/],
    ['another query', () => refused(cursor, 'tracks', ['position', 'desc']), /^cursor belongs to a list with another sort/],
    ['a key of the wrong kind', () => refused(encodePageCursor('tracks', ['position', 'asc'], { key: 'x', id: 'a' })), /^cursor is not/],
    ['an empty id', () => refused(encodePageCursor('tracks', ['position', 'asc'], { key: 1, id: '' })), /^cursor is not/],
    ['not base64url', () => refused('%%%'), /^cursor is not/],
    ['not JSON', () => refused('bm90IGpzb24'), /^cursor is not/],
    ['JSON null', () => refused(Buffer.from('null').toString('base64url')), /^cursor is not/],
  ])('refuse %s, naming cursor', (_name, attempt, message) => {
    expect(attempt()).toMatch(message);
  });
});
