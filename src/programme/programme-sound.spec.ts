import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { UpcomingItem } from '../contracts/daemon-messages.js';
import { TrackRepository } from '../repositories/track.repository.js';
import { ProgrammeService } from './programme.service.js';
import { QueueService } from './queue.service.js';

describe('ProgrammeService: the look-ahead carries each track’s sound (loudness and cues)', () => {
  let ctx: TestService<ProgrammeService>;
  beforeEach(async () => {
    ctx = await newTestService(ProgrammeService, { providers: [QueueService] });
  });
  afterEach(() => ctx.close());

  it('fills `sound` from the library: measured tracks with their cues, others with nulls', async () => {
    const tracks = ctx.get(TrackRepository);
    const base = {
      artist: 'A',
      album: '',
      genre: '',
      tags: [],
      duration: 100,
      addedAt: '2026-01-01T00:00:00.000Z',
      fileSize: 1,
      fileMtimeMs: 1,
    };
    await tracks.insert([
      { ...base, id: 'm', title: 'Measured', path: 'm.mp3' },
      { ...base, id: 'n', title: 'Not yet', path: 'n.mp3' },
    ]);
    const [measured] = await tracks.needingAnalysis(-50, 1);
    await tracks.recordAnalysis(
      measured,
      { loudness: { integratedLufs: -12.5, rangeLu: 4, truePeakDbtp: -0.5 }, cueIn: 1.5, cueOut: 98, thresholdDb: -50 },
      'x',
    );
    await tracks.update('m', { cueOut: 90 });

    ctx.sut.decideAgain('spec');
    await ctx.sut.settled();
    const upcoming = ctx.events.filter(([name]) => name === 'programme.upcoming').at(-1)?.[1] as { items: UpcomingItem[] };
    const sounds = Object.fromEntries(upcoming.items.map((item) => [item.track.id, item.sound]));
    expect(sounds).toEqual({
      m: { loudness: { integratedLufs: -12.5, rangeLu: 4, truePeakDbtp: -0.5 }, cueIn: 1.5, cueOut: 90 },
      n: { loudness: null, cueIn: null, cueOut: null },
    });
  });
});
