import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import { QueueRepository, type QueueEntry } from '../repositories/queue.repository.js';
import { MAX_QUEUE_LENGTH, type AddQueueItemDto, type QueueDto } from './dto/queue.dto.js';
import { unknownTracks } from './programme-errors.js';

/**
 * The request queue: library tracks that play before the schedule's, first in first. Bounded (MAX_QUEUE_LENGTH).
 * Every change is raised as `queue.updated`, with the length after it.
 */
@Injectable()
export class QueueService {
  constructor(
    private readonly queue: QueueRepository,
    private readonly events: WaveEvents,
  ) {}

  async list(): Promise<QueueDto> {
    return { items: await this.queue.list() };
  }

  /** Queues `trackId` at `position` (0: next; left out: last). The item as the list now shows it. */
  async add(dto: AddQueueItemDto): Promise<QueueEntry> {
    const outcome = await this.queue.insert(randomUUID(), dto.trackId, dto.position, MAX_QUEUE_LENGTH, new Date().toISOString());
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'unknown_track':
          throw unknownTracks('trackId', [dto.trackId]);
        case 'full':
          throw new WaveError(409, 'queue_full', `The queue holds ${outcome.length} requests, its most (${MAX_QUEUE_LENGTH})`);
        case 'position_out_of_range':
          throw new WaveError(400, 'invalid_position', [
            `position must not be greater than the queue's length, ${outcome.length} (the end)`,
          ]);
      }
    }
    this.changed('added', outcome.count);
    const listed = (await this.queue.list()).find((item) => item.id === outcome.item.id);
    // Gone already (its track removed, or it started, in between): what was written.
    return listed ?? { ...outcome.item, title: '', artist: '', duration: 0 };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.queue.remove(id))) throw new WaveError(404, 'queue_item_not_found', `No queue item with id ${id}`);
    this.changed('removed', await this.queue.count());
  }

  /**
   * For the programme, when request `id` starts playing: it leaves the queue, wherever it stands now (a request put
   * before it after it was decided does not keep it queued). False when it is gone already: nothing changed then.
   */
  async started(id: string): Promise<boolean> {
    if (!(await this.queue.remove(id))) return false;
    this.changed('started', await this.queue.count());
    return true;
  }

  private changed(reason: WaveEventMap['queue.updated']['reason'], count: number): void {
    this.events.emit('queue.updated', { reason, count, at: new Date().toISOString() });
  }
}
