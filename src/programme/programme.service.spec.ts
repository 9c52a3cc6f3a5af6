import { describe, expect, it } from 'vitest';
import type { Decision } from './programme.model.js';
import { keepItemIds } from './programme.service.js';

const decision = (trackId: string, reason: Decision['reason'] = 'rotation', queueItemId: string | null = null): Decision => ({
  trackId,
  reason,
  playlistId: reason === 'request' ? null : 'p1',
  queueItemId,
  scheduleEntryId: null,
});

describe('keepItemIds: a decision the look-ahead already held keeps its id', () => {
  it.each<[string, Decision[], Array<Decision & { itemId: string }>, string[], string[]]>([
    [
      'the same decisions keep their ids',
      [decision('a'), decision('b')],
      [
        { ...decision('a'), itemId: 'i1' },
        { ...decision('b'), itemId: 'i2' },
      ],
      [],
      ['i1', 'i2'],
    ],
    [
      'a decision moved up keeps its id; the new one gets a fresh id',
      [decision('b'), decision('c')],
      [
        { ...decision('a'), itemId: 'i1' },
        { ...decision('b'), itemId: 'i2' },
      ],
      ['i1'],
      ['i2', 'new'],
    ],
    ['an id already played is not reused for the same track again', [decision('a')], [{ ...decision('a'), itemId: 'i1' }], ['i1'], ['new']],
    [
      'the same track for another reason is another decision',
      [decision('a', 'request', 'q1')],
      [{ ...decision('a'), itemId: 'i1' }],
      [],
      ['new'],
    ],
    ['each previous id is used once', [decision('a'), decision('a')], [{ ...decision('a'), itemId: 'i1' }], [], ['i1', 'new']],
  ])('%s', (_name, decisions, previous, applied, expected) => {
    const ids = keepItemIds(decisions, previous, applied).map((item) => item.itemId);
    expect(ids.map((id) => (previous.some((p) => p.itemId === id) ? id : 'new'))).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
