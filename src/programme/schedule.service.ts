import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WaveEvents, type WaveEventMap } from '../bus/wave-events.js';
import { WaveError } from '../common/wave-error.js';
import { ProgrammeStateRepository } from '../repositories/programme-state.repository.js';
import { ScheduleRepository, type ScheduleContext } from '../repositories/schedule.repository.js';
import type { CreateScheduleEntryDto, ScheduleDto, UpdateScheduleEntryDto } from './dto/schedule.dto.js';
import type { IsoWeekday, ScheduleEntry } from './programme.model.js';
import { findConflict, secondsOfDay } from './schedule-overlap.js';

/**
 * The weekly schedule, in the station's time zone. An entry is checked as a whole once its changes are applied (a
 * PATCH of `end` alone is judged with the stored `start`): its playlist exists, `start` ≠ `end`, `startDate` ≤
 * `endDate`, and it overlaps no entry of the same priority (409 `schedule_conflict`, naming both). Checked in the
 * write's own transaction, so a refusal writes nothing. Every change is raised as `schedule.updated`.
 */
@Injectable()
export class ScheduleService {
  constructor(
    private readonly schedule: ScheduleRepository,
    private readonly settings: ProgrammeStateRepository,
    private readonly events: WaveEvents,
  ) {}

  async get(): Promise<ScheduleDto> {
    const [timeZone, entries] = await Promise.all([this.settings.getTimeZone(), this.schedule.list()]);
    return { timeZone, entries };
  }

  /** `timeZone` is valid already (the DTO asks luxon). Entries keep their local times: they move with the zone. */
  async setTimeZone(timeZone: string): Promise<ScheduleDto> {
    await this.settings.setTimeZone(timeZone);
    this.changed('time_zone', []);
    return this.get();
  }

  async create(dto: CreateScheduleEntryDto): Promise<ScheduleEntry> {
    const entry: ScheduleEntry = {
      id: randomUUID(),
      playlistId: dto.playlistId,
      days: inWeekOrder(dto.days),
      start: dto.start,
      end: dto.end,
      startDate: dto.startDate ?? null,
      endDate: dto.endDate ?? null,
      priority: dto.priority ?? 0,
      createdAt: new Date().toISOString(),
    };
    const created = await this.schedule.create(entry, vetNew);
    this.changed('created', [created.id]);
    return created;
  }

  async update(id: string, dto: UpdateScheduleEntryDto): Promise<ScheduleEntry> {
    const changes = dto.days === undefined ? dto : { ...dto, days: inWeekOrder(dto.days) };
    const updated = await this.schedule.update(id, changes, vetChanged);
    if (!updated) throw entryNotFound(id);
    this.changed('updated', [id]);
    return updated;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.schedule.remove(id))) throw entryNotFound(id);
    this.changed('deleted', [id]);
  }

  private changed(reason: WaveEventMap['schedule.updated']['reason'], entryIds: string[]): void {
    this.events.emit('schedule.updated', { reason, entryIds, at: new Date().toISOString() });
  }
}

/** Days as stored and answered: Monday first (the DTO checked they are distinct weekdays). */
const inWeekOrder = (days: IsoWeekday[]): IsoWeekday[] => [...days].sort((a, b) => a - b);

const entryNotFound = (id: string) => new WaveError(404, 'schedule_entry_not_found', `No schedule entry with id ${id}`);

/** The rules an entry meets against the rest of the schedule (run by the repository inside the write). */
export const vetNew = (entry: ScheduleEntry, context: ScheduleContext) => vet(entry, context, true);
export const vetChanged = (entry: ScheduleEntry, context: ScheduleContext) => vet(entry, context, false);

function vet(entry: ScheduleEntry, { others, playlistNames }: ScheduleContext, isNew: boolean): void {
  if (!playlistNames.has(entry.playlistId))
    throw new WaveError(400, 'unknown_playlist', [`playlistId names an unknown playlist ${entry.playlistId}`], {
      playlistId: entry.playlistId,
    });
  const problems: string[] = [];
  if (secondsOfDay(entry.start) === secondsOfDay(entry.end))
    problems.push('end must not equal start (an entry ending at or before its start runs past midnight; a whole day is 00:00 to 23:59:59)');
  if (entry.startDate !== null && entry.endDate !== null && entry.startDate > entry.endDate)
    problems.push('endDate must not be earlier than startDate');
  if (problems.length > 0) throw new WaveError(400, 'invalid_schedule_entry', problems);
  const conflict = findConflict(entry, others);
  if (conflict) {
    const describe = (e: ScheduleEntry) =>
      `entry ${e.id} (playlist "${playlistNames.get(e.playlistId) ?? e.playlistId}", days ${e.days.join(',')}, ${e.start}–${e.end}${
        e.startDate || e.endDate ? `, dates ${e.startDate ?? '…'} to ${e.endDate ?? '…'}` : ''
      })`;
    const subject = isNew ? describe(entry).replace(/^entry \S+/, 'The new entry') : describe(entry);
    throw new WaveError(
      409,
      'schedule_conflict',
      [`${subject} overlaps ${describe(conflict)}, of the same priority ${entry.priority}; give one a higher priority, or move it`],
      { conflictingEntryId: conflict.id, conflictingPlaylistId: conflict.playlistId },
    );
  }
}
