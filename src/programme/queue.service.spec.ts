import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { Database } from '../database/database.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { MAX_QUEUE_LENGTH } from './dto/queue.dto.js';
import { refusal, specTrack } from './programme-spec-helpers.js';
import { QueueService } from './queue.service.js';

describe('QueueService (real SQLite)', () => {
  let ctx: TestService<QueueService>;
  let service: QueueService;

  beforeEach(async () => {
    ctx = await newTestService(QueueService);
    service = ctx.sut;
    await ctx.get(TrackRepository).insert([1, 2, 3].map(specTrack));
  });

  afterEach(() => ctx.close());

  const order = async () => (await service.list()).items.map((item) => [item.position, item.trackId]);

  it('queues at the end, next, or in between, with each track; removes; a started request leaves wherever it stands, once', async () => {
    const a = await service.add({ trackId: 't1' });
    expect(a).toMatchObject({ position: 0, trackId: 't1', title: 'Title 1', artist: 'Artist 1', duration: 101 });
    await service.add({ trackId: 't2' });
    await service.add({ trackId: 't3', position: 0 });
    const b = await service.add({ trackId: 't1', position: 2 });
    expect(b.position).toBe(2);
    expect(await order()).toEqual([
      [0, 't3'],
      [1, 't1'],
      [2, 't1'],
      [3, 't2'],
    ]);
    await service.remove(b.id);
    // a was decided while first; t3 was put before it since: a leaves the queue all the same, once.
    expect(await service.started(a.id)).toBe(true);
    expect(await service.started(a.id)).toBe(false);
    expect(await order()).toEqual([
      [0, 't3'],
      [1, 't2'],
    ]);
    expect(ctx.events.filter(([name]) => name === 'queue.updated').map(([, e]) => e)).toEqual([
      expect.objectContaining({ reason: 'added', count: 1 }),
      expect.objectContaining({ reason: 'added', count: 2 }),
      expect.objectContaining({ reason: 'added', count: 3 }),
      expect.objectContaining({ reason: 'added', count: 4 }),
      expect.objectContaining({ reason: 'removed', count: 3 }),
      expect.objectContaining({ reason: 'started', count: 2 }),
    ]);
    // A track removed from the library leaves the queue with it.
    await ctx.get(TrackRepository).remove('t3');
    expect(await order()).toEqual([[0, 't2']]);
  });

  it('refuses an unknown track, a position past the end, a full queue and an unknown item, changing nothing', async () => {
    await service.add({ trackId: 't1' });
    expect(await refusal(service.add({ trackId: 'nope' }))).toMatchObject({
      status: 400,
      code: 'unknown_track',
      message: ['trackId names an unknown track nope'],
    });
    expect(await refusal(service.add({ trackId: 't2', position: 2 }))).toMatchObject({ status: 400, code: 'invalid_position' });
    expect((await refusal(service.remove('nope'))).code).toBe('queue_item_not_found');
    expect(await order()).toEqual([[0, 't1']]);
    // The rest in one statement (a thousand commits, each to the disk, take seconds).
    const rows = Array.from({ length: MAX_QUEUE_LENGTH - 1 }, (_, i) => ({
      id: `q${i}`,
      track_id: 't2',
      position: i + 1,
      added_at: '2026-01-01T00:00:00.000Z',
    }));
    await ctx.module
      .get<Database>(Database as never)
      .db.insertInto('queue_items')
      .values(rows)
      .execute();
    expect(await refusal(service.add({ trackId: 't3' }))).toMatchObject({ status: 409, code: 'queue_full' });
    expect((await service.list()).items).toHaveLength(MAX_QUEUE_LENGTH);
  });
});
