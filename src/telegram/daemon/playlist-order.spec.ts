import { describe, expect, it } from 'vitest';
import { PlaylistOrder } from './playlist-order.js';

const tracks = (...ids: string[]) => ids.map((id) => ({ id }));
const take = (order: PlaylistOrder, list: Array<{ id: string }>, n: number) =>
  Array.from({ length: n }, () => order.next(list)?.id ?? null);

describe('PlaylistOrder', () => {
  it('plays in library order and loops', () => {
    expect(take(new PlaylistOrder({ shuffle: false, loop: true }), tracks('a', 'b', 'c'), 5)).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('stops at the end without loop', () => {
    expect(take(new PlaylistOrder({ shuffle: false, loop: false }), tracks('a', 'b'), 3)).toEqual(['a', 'b', null]);
  });

  it('follows edits made between tracks: reorder, insert, delete of the playing track', () => {
    const order = new PlaylistOrder({ shuffle: false, loop: true });
    expect(order.next(tracks('a', 'b', 'c'))?.id).toBe('a');
    expect(order.next(tracks('a', 'x', 'b', 'c'))?.id).toBe('x');
    // 'x' (playing) is deleted: the track that took its place comes next.
    expect(order.next(tracks('a', 'b', 'c'))?.id).toBe('b');
    expect(order.next(tracks('c', 'a', 'b'))?.id).toBe('c');
  });

  it('shuffles each track once per cycle, never repeating across the cycle boundary', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const order = new PlaylistOrder({ shuffle: true, loop: true, random });
    const list = tracks('a', 'b', 'c', 'd');
    const played = take(order, list, 12);
    for (let cycle = 0; cycle < 3; cycle++) expect(new Set(played.slice(cycle * 4, cycle * 4 + 4)).size).toBe(4);
    expect(played[4]).not.toBe(played[3]);
    expect(played[8]).not.toBe(played[7]);
  });

  it('returns null for an empty library', () => {
    expect(new PlaylistOrder({ shuffle: true, loop: true }).next([])).toBeNull();
  });

  it('rewinds to a mark, so a track dropped before it played is picked again (in order and shuffled)', () => {
    const inOrder = new PlaylistOrder({ shuffle: false, loop: true });
    const list = tracks('a', 'b', 'c');
    inOrder.next(list);
    const mark = inOrder.mark();
    expect(inOrder.next(list)?.id).toBe('b');
    inOrder.rewind(mark);
    expect(take(inOrder, list, 2)).toEqual(['b', 'c']);

    const shuffled = new PlaylistOrder({ shuffle: true, loop: true, random: () => 0.5 });
    shuffled.next(list);
    const shuffledMark = shuffled.mark();
    const dropped = shuffled.next(list)?.id;
    shuffled.rewind(shuffledMark);
    expect(shuffled.next(list)?.id).toBe(dropped);
  });
});
