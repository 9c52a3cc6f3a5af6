import { describe, expect, it } from 'vitest';
import type { Decision, IsoWeekday, Playlist, ProgrammeState, QueueItem, ScheduleEntry } from './programme.model.js';
import {
  afterPlay,
  catalogTrack,
  type CatalogTrack,
  decideNext,
  type DecideInput,
  initialProgrammeState,
  planUpcoming,
  type ProgrammeCatalog,
  trackHash,
} from './decide-next.js';

const ALL_DAYS: IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];
/** Monday 2026-11-30, 10:00 UTC. */
const MONDAY_10 = Date.parse('2026-11-30T10:00:00Z');
const MINUTE = 60_000;

function playlist(id: string, over: Partial<Playlist> = {}): Playlist {
  return {
    id,
    name: id,
    kind: 'rotation',
    enabled: true,
    weight: 1,
    artistSeparation: 0,
    everyTracks: null,
    everyMinutes: null,
    minute: null,
    trackIds: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

function entry(id: string, playlistId: string, over: Partial<ScheduleEntry> = {}): ScheduleEntry {
  return {
    id,
    playlistId,
    days: ALL_DAYS,
    start: '00:00',
    end: '00:00',
    startDate: null,
    endDate: null,
    priority: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** `count` tracks `prefix1…prefixN`, 180 s each, by the artist `artistOf(i)`. */
function tracks(prefix: string, count: number, artistOf: (i: number) => string = (i) => `${prefix}-artist-${i}`): CatalogTrack[] {
  return Array.from({ length: count }, (_, i) => catalogTrack(`${prefix}${i + 1}`, artistOf(i), 180));
}

function catalog(trackList: CatalogTrack[], playlists: Playlist[] = []): ProgrammeCatalog {
  return { tracks: new Map(trackList.map((t) => [t.id, t])), libraryOrder: trackList.map((t) => t.id), playlists };
}

function input(cat: ProgrammeCatalog, over: Partial<DecideInput> = {}): DecideInput {
  return { at: MONDAY_10, timeZone: 'UTC', catalog: cat, schedule: [], queue: [], state: initialProgrammeState(42), ...over };
}

function queueItem(id: string, trackId: string, position: number): QueueItem {
  return { id, trackId, position, addedAt: '2026-11-30T09:00:00.000Z' };
}

/** Plays `count` decisions one after another, also returning the state after each. */
function play(base: DecideInput, count: number): { decisions: Decision[]; state: ProgrammeState; at: number } {
  let { state, at } = base;
  const decisions: Decision[] = [];
  for (let i = 0; i < count; i++) {
    const decided = decideNext({ ...base, state, at });
    if (decided === null) break;
    decisions.push(decided);
    state = afterPlay(state, decided, at, base.catalog, base.timeZone);
    at += (base.catalog.tracks.get(decided.trackId)?.duration ?? 0) * 1000;
  }
  return { decisions, state, at };
}

const label = (d: Decision) => (d.reason === 'jingle' ? 'J' : d.reason === 'hourly' ? 'H' : 'M');

describe('trackHash', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('FNV-1a of %j', (id, hash) => {
    expect(trackHash(id)).toBe(hash);
  });
});

describe('decideNext: which rule', () => {
  const music = tracks('m', 10);
  const jingles = tracks('j', 2, () => 'Station');

  it.each<[string, () => DecideInput, Partial<Decision> | null]>([
    ['an empty library: nothing', () => input(catalog([])), null],
    ['no playlist: the library in its order', () => input(catalog(music)), { trackId: 'm1', reason: 'playlist', playlistId: null }],
    [
      'a request first, the lowest position whose track exists',
      () =>
        input(catalog(music, [playlist('rot', { trackIds: ['m1', 'm2'] })]), {
          queue: [queueItem('q3', 'm5', 3), queueItem('q0', 'gone', 0), queueItem('q1', 'm7', 1)],
        }),
      { trackId: 'm7', reason: 'request', playlistId: null, queueItemId: 'q1', scheduleEntryId: null },
    ],
    [
      'a queue of deleted tracks only: not a request',
      () => input(catalog(music), { queue: [queueItem('q0', 'gone', 0)] }),
      { reason: 'playlist', queueItemId: null },
    ],
    [
      'a request before a jingle due',
      () =>
        input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyMinutes: 5, trackIds: ['j1'] })]), {
          queue: [queueItem('q', 'm3', 0)],
        }),
      { trackId: 'm3', reason: 'request' },
    ],
    [
      'a jingle never played and due by minutes',
      () => input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyMinutes: 5, trackIds: ['j1', 'j2'] })])),
      { trackId: 'j1', reason: 'jingle', playlistId: 'jin' },
    ],
    [
      'a jingle by tracks is not due before any music',
      () => input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyTracks: 2, trackIds: ['j1'] })])),
      { reason: 'playlist' },
    ],
    [
      'a disabled jingle: not played',
      () =>
        input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', enabled: false, everyMinutes: 5, trackIds: ['j1'] })])),
      { reason: 'playlist', playlistId: null },
    ],
    [
      'an hourly due before a jingle due',
      () =>
        input(
          catalog(
            [...music, ...jingles],
            [
              playlist('jin', { kind: 'jingle', everyMinutes: 5, trackIds: ['j1'] }),
              playlist('id', { kind: 'hourly', minute: 0, trackIds: ['j2'] }),
            ],
          ),
        ),
      { trackId: 'j2', reason: 'hourly', playlistId: 'id' },
    ],
    [
      'an hourly before its minute: not yet',
      () => input(catalog([...music, ...jingles], [playlist('id', { kind: 'hourly', minute: 30, trackIds: ['j2'] })])),
      { reason: 'playlist' },
    ],
    [
      'the programme on: its playlist, with its entry',
      () =>
        input(catalog(music, [playlist('show', { kind: 'ordered', trackIds: ['m4', 'm5'] }), playlist('gen', { trackIds: ['m1'] })]), {
          schedule: [entry('e-show', 'show', { start: '09:00', end: '11:00' })],
        }),
      { trackId: 'm4', reason: 'playlist', playlistId: 'show', scheduleEntryId: 'e-show' },
    ],
    [
      'the programme off: the general rotation (never the scheduled playlist)',
      () =>
        input(catalog(music, [playlist('show', { trackIds: ['m4', 'm5'] }), playlist('gen', { trackIds: ['m1'] })]), {
          schedule: [entry('e-show', 'show', { start: '12:00', end: '13:00' })],
        }),
      { trackId: 'm1', reason: 'rotation', playlistId: 'gen', scheduleEntryId: null },
    ],
    [
      'overlapping entries: the higher priority',
      () =>
        input(catalog(music, [playlist('a', { trackIds: ['m1'] }), playlist('b', { trackIds: ['m2'] })]), {
          schedule: [entry('ea', 'a', { priority: 1 }), entry('eb', 'b', { priority: 2 })],
        }),
      { trackId: 'm2', playlistId: 'b', scheduleEntryId: 'eb' },
    ],
    [
      'equal priorities: the lower entry id, whatever the order',
      () =>
        input(catalog(music, [playlist('a', { trackIds: ['m1'] }), playlist('b', { trackIds: ['m2'] })]), {
          schedule: [entry('e2', 'a'), entry('e1', 'b')],
        }),
      { trackId: 'm2', playlistId: 'b', scheduleEntryId: 'e1' },
    ],
    [
      'the top entry empty: the next entry on',
      () =>
        input(catalog(music, [playlist('empty'), playlist('b', { trackIds: ['m2'] })]), {
          schedule: [entry('e1', 'empty', { priority: 5 }), entry('e2', 'b', { priority: 1 })],
        }),
      { trackId: 'm2', scheduleEntryId: 'e2' },
    ],
    [
      'the scheduled playlist empty: the general rotation',
      () => input(catalog(music, [playlist('empty'), playlist('gen', { trackIds: ['m3'] })]), { schedule: [entry('e1', 'empty')] }),
      { trackId: 'm3', reason: 'rotation', playlistId: 'gen', scheduleEntryId: null },
    ],
    [
      'the scheduled playlist all deleted: the general rotation',
      () =>
        input(catalog(music, [playlist('gone', { trackIds: ['x1', 'x2'] }), playlist('gen', { trackIds: ['m3'] })]), {
          schedule: [entry('e1', 'gone')],
        }),
      { trackId: 'm3', playlistId: 'gen' },
    ],
    [
      'the scheduled playlist disabled: the general rotation',
      () =>
        input(catalog(music, [playlist('off', { enabled: false, trackIds: ['m1'] }), playlist('gen', { trackIds: ['m3'] })]), {
          schedule: [entry('e1', 'off')],
        }),
      { trackId: 'm3', playlistId: 'gen' },
    ],
    [
      'the general rotation empty too: the library',
      () => input(catalog(music, [playlist('empty'), playlist('gen', { trackIds: ['gone'] })]), { schedule: [entry('e1', 'empty')] }),
      { trackId: 'm1', reason: 'playlist', playlistId: null, scheduleEntryId: null },
    ],
    [
      'a disabled rotation is not in the general rotation',
      () => input(catalog(music, [playlist('gen', { enabled: false, trackIds: ['m3'] })])),
      { trackId: 'm1', playlistId: null },
    ],
    [
      'an unscheduled ordered playlist is not the general rotation',
      () => input(catalog(music, [playlist('ord', { kind: 'ordered', trackIds: ['m3'] })])),
      { trackId: 'm1', playlistId: null },
    ],
    [
      'a scheduled jingle off its entry: not played',
      () =>
        input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyMinutes: 5, trackIds: ['j1'] })]), {
          schedule: [entry('ej', 'jin', { start: '20:00', end: '22:00' })],
        }),
      { reason: 'playlist', playlistId: null },
    ],
    [
      'a scheduled jingle on its entry: played, with the entry',
      () =>
        input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyMinutes: 5, trackIds: ['j1'] })]), {
          schedule: [entry('ej', 'jin', { start: '09:00', end: '11:00' })],
        }),
      { trackId: 'j1', reason: 'jingle', scheduleEntryId: 'ej' },
    ],
    [
      'a jingle playlist on the schedule is not a programme of jingles',
      () =>
        input(catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyTracks: 3, trackIds: ['j1'] })]), {
          schedule: [entry('ej', 'jin')],
        }),
      { reason: 'playlist', playlistId: null },
    ],
  ])('%s', (_name, make, expected) => {
    const decided = decideNext(make());
    if (expected === null) expect(decided).toBeNull();
    else expect(decided).toMatchObject(expected);
  });

  it('leaves its input untouched, and afterPlay returns a new state', () => {
    const cat = catalog(
      [...music, ...jingles],
      [playlist('gen', { trackIds: ['m1', 'm2'] }), playlist('jin', { kind: 'jingle', everyTracks: 1, trackIds: ['j1'] })],
    );
    const base = input(cat, { queue: [queueItem('q', 'm5', 0)] });
    const frozen = structuredClone({ state: base.state, queue: base.queue, playlists: cat.playlists });
    const decided = planUpcoming(base, 6);
    expect(decided).toHaveLength(6);
    const state = afterPlay(base.state, decided[1], base.at, cat, 'UTC');
    expect(state).not.toBe(base.state);
    expect({ state: base.state, queue: base.queue, playlists: cat.playlists }).toEqual(frozen);
  });
});

describe('decideNext: jingles and hourlies', () => {
  const music = tracks('m', 20);
  const jingles = tracks('j', 3, () => 'Station');

  it.each<[string, Partial<Playlist>, number, string]>([
    ['every 2 tracks', { everyTracks: 2 }, 9, 'MMJMMJMMJ'],
    ['every 3 tracks', { everyTracks: 3 }, 12, 'MMMJMMMJMMMJ'],
    // 3-minute songs, 20-second jingles: first due at once (never played), then N minutes after the last one started
    ['every 10 minutes', { everyMinutes: 10 }, 11, 'JMMMMJMMMMJ'],
    ['every 6 minutes', { everyMinutes: 6 }, 7, 'JMMJMMJ'],
    ['every 5 tracks or 6 minutes, whichever first', { everyTracks: 5, everyMinutes: 6 }, 7, 'JMMJMMJ'],
  ])('a jingle %s', (_name, over, count, sequence) => {
    const short = jingles.map((t) => ({ ...t, duration: 20 }));
    const cat = catalog(
      [...music, ...short],
      [playlist('gen', { trackIds: music.map((t) => t.id) }), playlist('jin', { kind: 'jingle', trackIds: ['j1', 'j2', 'j3'], ...over })],
    );
    const planned = planUpcoming(input(cat), count);
    expect(planned.map(label).join('')).toBe(sequence);
    // Jingles in their order.
    expect(planned.filter((d) => d.reason === 'jingle').map((d) => d.trackId)).toEqual(
      ['j1', 'j2', 'j3'].slice(0, sequence.split('J').length - 1),
    );
  });

  it('a request counts as music for a jingle every N tracks', () => {
    const cat = catalog([...music, ...jingles], [playlist('jin', { kind: 'jingle', everyTracks: 2, trackIds: ['j1'] })]);
    const planned = planUpcoming(input(cat, { queue: [queueItem('a', 'm9', 0), queueItem('b', 'm8', 1)] }), 4);
    expect(planned.map((d) => `${label(d)}:${d.reason}`)).toEqual(['M:request', 'M:request', 'J:jingle', 'M:playlist']);
  });

  it.each<[string, string, number, string, number]>([
    // 10-minute tracks from 10:00: minute 30 plays at 10:30 and 11:30, once each hour
    ['UTC, minute 30', 'UTC', 30, '2026-11-30T10:00:00Z', 13],
    ['UTC, minute 0', 'UTC', 0, '2026-11-30T10:05:00Z', 13],
    // Kolkata (UTC+05:30): the local hour starts at :30 UTC
    ['Asia/Kolkata, minute 0', 'Asia/Kolkata', 0, '2026-11-30T10:00:00Z', 13],
    // Berlin fall back: 02:xx is two hours, each gets its ID
    ['Berlin over the repeated hour, minute 15', 'Europe/Berlin', 15, '2026-10-24T23:30:00Z', 16],
  ])('hourly at minute M, once per hour: %s', (_name, zone, minute, from, count) => {
    const long = music.map((t) => ({ ...t, duration: 600 }));
    const ids = jingles.map((t) => ({ ...t, duration: 20 }));
    const cat = catalog([...long, ...ids], [playlist('id', { kind: 'hourly', minute, trackIds: ['j1', 'j2'] })]);
    const base = input(cat, { timeZone: zone, at: Date.parse(from) });
    let at = base.at;
    let state = base.state;
    const hourlyAt: number[] = [];
    const startedAt: number[] = [];
    for (let i = 0; i < count; i++) {
      const decided = decideNext({ ...base, at, state })!;
      startedAt.push(at);
      if (decided.reason === 'hourly') hourlyAt.push(at);
      state = afterPlay(state, decided, at, cat, zone);
      at += cat.tracks.get(decided.trackId)!.duration * 1000;
    }
    // One in each local hour that had a boundary at or past minute M, the first such boundary; none in another.
    // Berlin's offsets are whole hours, so its local hours and minutes line up with UTC's.
    const shift = zone === 'Asia/Kolkata' ? 330 * MINUTE : 0;
    const hourOf = (t: number) => Math.floor((t + shift) / 3_600_000);
    const minuteOf = (t: number) => new Date(t + shift).getUTCMinutes();
    const firstDue = new Map<number, number>();
    for (const t of startedAt) if (minuteOf(t) >= minute && !firstDue.has(hourOf(t))) firstDue.set(hourOf(t), t);
    expect(hourlyAt).toEqual([...firstDue.values()]);
    expect(hourlyAt.length).toBeGreaterThanOrEqual(2);
  });

  it('the repeated Berlin hour 02:xx plays its ID in both passes', () => {
    const long = music.map((t) => ({ ...t, duration: 600 }));
    const cat = catalog([...long, ...jingles], [playlist('id', { kind: 'hourly', minute: 15, trackIds: ['j1'] })]);
    const hourly = planUpcoming(input(cat, { timeZone: 'Europe/Berlin', at: Date.parse('2026-10-24T23:50:00Z') }), 14).filter(
      (d) => d.reason === 'hourly',
    );
    // From 01:50 CEST for about 2 h 10 min: 01:50 CEST (at once: past minute 15), 02:15 CEST and 02:15 CET
    expect(hourly).toHaveLength(3);
  });
});

describe('decideNext: ordered playlists', () => {
  const music = tracks('m', 6);
  const ordered = (trackIds: string[]) => playlist('ord', { kind: 'ordered', trackIds });
  /** m2 was the last played, at index 1. */
  const afterB: ProgrammeState = {
    ...initialProgrammeState(1),
    cursors: { ord: { cycle: 0, key: -1, ahead: [], lastTrackId: 'm2', lastIndex: 1 } },
  };

  it.each<[string, string[], CatalogTrack[], string[]]>([
    ['in order from the last played', ['m1', 'm2', 'm3', 'm4'], music, ['m3', 'm4', 'm1', 'm2']],
    ['the last played removed: the one now in its place', ['m1', 'm3', 'm4'], music, ['m3', 'm4', 'm1']],
    ['the next removed: the one after it', ['m1', 'm2', 'm4'], music, ['m4', 'm1', 'm2']],
    ['a track inserted before: still after the last played', ['m5', 'm1', 'm2', 'm3'], music, ['m3', 'm5', 'm1', 'm2']],
    [
      'the next track deleted from the library: skipped',
      ['m1', 'm2', 'm3', 'm4'],
      music.filter((t) => t.id !== 'm3'),
      ['m4', 'm1', 'm2', 'm4'],
    ],
    ['the last played removed at the end: wraps', ['m1'], music, ['m1', 'm1']],
    ['a track twice: from the occurrence it played', ['m3', 'm2', 'm4', 'm2'], music, ['m4', 'm2', 'm3', 'm2']],
  ])('%s', (_name, trackIds, trackList, expected) => {
    const cat = catalog(trackList, [ordered(trackIds)]);
    const planned = planUpcoming(input(cat, { schedule: [entry('e', 'ord')], state: afterB }), expected.length);
    expect(planned.map((d) => d.trackId)).toEqual(expected);
    expect(planned.every((d) => d.reason === 'playlist' && d.playlistId === 'ord')).toBe(true);
  });

  it('the last played removed and the list now shorter than its place: from the start', () => {
    const cat = catalog(music, [ordered(['m4', 'm5', 'm6'])]);
    const state: ProgrammeState = { ...afterB, cursors: { ord: { ...afterB.cursors.ord, lastTrackId: 'm9', lastIndex: 4 } } };
    expect(planUpcoming(input(cat, { schedule: [entry('e', 'ord')], state }), 2).map((d) => d.trackId)).toEqual(['m4', 'm5']);
  });

  it('the library fallback goes on in order after deletions', () => {
    const cat = catalog(music);
    const { state } = play(input(cat), 3);
    const fewer = catalog(music.filter((t) => t.id !== 'm3' && t.id !== 'm4'));
    expect(planUpcoming(input(fewer, { state }), 4).map((d) => d.trackId)).toEqual(['m5', 'm6', 'm1', 'm2']);
  });
});

describe('decideNext: rotation', () => {
  /** The cycles of a rotation's plays, cut where the cursor's cycle changes. */
  function rotationPlays(cat: ProgrammeCatalog, count: number, seed = 7) {
    const base = input(cat, { state: initialProgrammeState(seed) });
    let state = base.state;
    let at = base.at;
    const plays: Array<{ trackId: string; artist: string; cycle: number }> = [];
    for (let i = 0; i < count; i++) {
      const decided = decideNext({ ...base, state, at })!;
      state = afterPlay(state, decided, at, cat, 'UTC');
      at += 180_000;
      plays.push({
        trackId: decided.trackId,
        artist: cat.tracks.get(decided.trackId)!.artist,
        cycle: state.cursors[decided.playlistId!].cycle,
      });
    }
    return { plays, state };
  }

  it.each([
    ['1 track', 1, 5],
    ['2 tracks', 2, 5],
    ['20 tracks', 20, 4],
    ['137 tracks', 137, 3],
  ])('no repeat until all have played: %s over %i cycles, a fresh order each', (_name, size, cycles) => {
    const music = tracks('m', size);
    const cat = catalog(music, [playlist('rot', { trackIds: music.map((t) => t.id) })]);
    const { plays } = rotationPlays(cat, size * cycles);
    const orders: string[] = [];
    for (let c = 0; c < cycles; c++) {
      const cycle = plays.slice(c * size, (c + 1) * size);
      expect(new Set(cycle.map((p) => p.trackId)).size).toBe(size);
      expect(cycle.every((p) => p.cycle === c)).toBe(true);
      orders.push(cycle.map((p) => p.trackId).join());
    }
    if (size >= 20) expect(new Set(orders).size).toBe(cycles);
    // A new cycle does not open with the track that closed the last one.
    if (size > 1) for (let i = 1; i < plays.length; i++) expect(plays[i].trackId).not.toBe(plays[i - 1].trackId);
  });

  it.each([
    ['two tracks with one trackHash (a collision)', (list: CatalogTrack[]) => list.map((t, i) => (i < 2 ? { ...t, hash: 12345 } : t)), 10],
    ['four tracks with one trackHash', (list: CatalogTrack[]) => list.map((t, i) => (i < 4 ? { ...t, hash: 7 } : t)), 10],
    ['a track listed twice: one member', (list: CatalogTrack[]) => list, 10],
  ])('every member plays once a cycle: %s', (name, edit, size) => {
    const music = edit(tracks('m', size));
    const ids = music.map((t) => t.id);
    const cat = catalog(music, [playlist('rot', { trackIds: name.includes('twice') ? [...ids, 'm3', 'm3'] : ids })]);
    const { plays } = rotationPlays(cat, size * 4);
    for (let c = 0; c < 4; c++) expect(new Set(plays.slice(c * size, (c + 1) * size).map((p) => p.trackId)).size).toBe(size);
  });

  it('the same seed gives the same order, another seed another', () => {
    const music = tracks('m', 30);
    const cat = catalog(music, [playlist('rot', { trackIds: music.map((t) => t.id) })]);
    const order = (seed: number) => rotationPlays(cat, 30, seed).plays.map((p) => p.trackId);
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
  });

  it.each<[string, number, number, (i: number) => string, number]>([
    ['4 artists, separation 3', 24, 3, (i) => `a${i % 4}`, 4],
    ['10 artists, separation 5', 40, 5, (i) => `a${i % 10}`, 3],
    ['3 artists unevenly, separation 2', 20, 2, (i) => (i < 12 ? 'big' : i < 16 ? 'mid' : 'small'), 3],
    ['one artist only: relaxed, never silence', 8, 3, () => 'solo', 3],
    ['empty artists never block', 8, 5, () => '', 3],
  ])('artist separation: %s', (_name, size, separation, artistOf, cycles) => {
    const music = tracks('m', size, artistOf);
    const cat = catalog(music, [playlist('rot', { artistSeparation: separation, trackIds: music.map((t) => t.id) })]);
    const { plays } = rotationPlays(cat, size * cycles);
    let violations = 0;
    for (let i = 0; i < plays.length; i++) {
      const cycle = plays.slice(Math.floor(i / size) * size, (Math.floor(i / size) + 1) * size);
      expect(new Set(cycle.map((p) => p.trackId)).size).toBe(size);
      const recent = plays.slice(Math.max(0, i - separation), i).map((p) => p.artist);
      if (plays[i].artist === '' || !recent.includes(plays[i].artist)) continue;
      // Relaxed only when every track still to play this cycle is by an artist held back.
      violations++;
      const played = new Set(plays.slice(Math.floor(i / size) * size, i).map((p) => p.trackId));
      const remaining = music.filter((t) => !played.has(t.id));
      for (const t of remaining) expect(t.artist !== '' && recent.includes(t.artist)).toBe(true);
    }
    if (artistOf(0) === 'solo') expect(violations).toBeGreaterThan(0);
    if (artistOf(0) === '') expect(violations).toBe(0);
  });

  it('weights: over 1,000 plays the general rotation shares are near the weights', () => {
    const lists = { a: 1, b: 3, c: 6 };
    const all: CatalogTrack[] = [];
    const playlists = Object.entries(lists).map(([id, weight]) => {
      const own = tracks(id, 40);
      all.push(...own);
      return playlist(id, { weight, trackIds: own.map((t) => t.id) });
    });
    const planned = planUpcoming(input(catalog(all, playlists)), 1000);
    const share = (id: string) => planned.filter((d) => d.playlistId === id).length / planned.length;
    expect(share('a')).toBeCloseTo(0.1, 1);
    expect(share('b')).toBeCloseTo(0.3, 1);
    expect(share('c')).toBeCloseTo(0.6, 1);
    expect(planned.every((d) => d.reason === 'rotation' && d.scheduleEntryId === null)).toBe(true);
  });

  it('an empty general rotation gives its turns to the others', () => {
    const music = tracks('m', 10);
    const cat = catalog(music, [playlist('empty', { weight: 25 }), playlist('full', { weight: 1, trackIds: music.map((t) => t.id) })]);
    expect(planUpcoming(input(cat), 50).every((d) => d.playlistId === 'full')).toBe(true);
  });

  it('deletions and additions mid-cycle: the deleted vanish, the rest play once, an addition above the cursor this cycle', () => {
    const music = tracks('m', 30);
    const ids = music.map((t) => t.id);
    const cat = catalog(music, [playlist('rot', { trackIds: ids })]);
    const { decisions, state } = play(input(cat, { state: initialProgrammeState(3) }), 10);
    const played = new Set(decisions.map((d) => d.trackId));
    const unplayed = ids.filter((id) => !played.has(id));
    const deleted = unplayed.slice(0, 5);
    const added = tracks('new', 40);
    const edited = catalog(
      [...music.filter((t) => !deleted.includes(t.id)), ...added],
      [playlist('rot', { trackIds: [...ids, ...added.map((t) => t.id)] })],
    );
    const cursor = state.cursors.rot;
    // Play out the cycle: until the cursor moves to the next one.
    let s = state;
    let at = MONDAY_10;
    const rest: string[] = [];
    for (;;) {
      const decided = decideNext({ ...input(edited), state: s, at })!;
      const next = afterPlay(s, decided, at, edited, 'UTC');
      if (next.cursors.rot.cycle !== cursor.cycle) break;
      rest.push(decided.trackId);
      s = next;
      at += 180_000;
    }
    expect(new Set(rest).size).toBe(rest.length);
    expect(rest.filter((id) => played.has(id) || deleted.includes(id))).toEqual([]);
    expect(rest.filter((id) => unplayed.includes(id)).sort()).toEqual(unplayed.filter((id) => !deleted.includes(id)).sort());
    // Some of the 40 additions land above the cursor (this cycle), some below (the next).
    const addedNow = rest.filter((id) => id.startsWith('new')).length;
    expect(addedNow).toBeGreaterThan(0);
    expect(addedNow).toBeLessThan(40);
  });

  it('a scheduled rotation keeps its own cursor and does not move the general draw', () => {
    const music = tracks('m', 10);
    const other = tracks('o', 10);
    const cat = catalog(
      [...music, ...other],
      [playlist('show', { trackIds: music.map((t) => t.id) }), playlist('gen', { trackIds: other.map((t) => t.id) })],
    );
    const schedule = [entry('e', 'show', { start: '10:00', end: '10:30' })];
    const planned = planUpcoming(input(cat, { schedule }), 20);
    expect(planned.slice(0, 10).every((d) => d.playlistId === 'show' && d.scheduleEntryId === 'e')).toBe(true);
    expect(planned.slice(10).every((d) => d.playlistId === 'gen' && d.scheduleEntryId === null)).toBe(true);
    const { state } = play(input(cat, { schedule }), 20);
    expect(state.generalPlays).toBe(10);
    expect(state.cursors.show.cycle).toBe(0);
  });
});

describe('planUpcoming', () => {
  const music = tracks('m', 5);

  it('takes the queue in order, dropping each item it plays, then goes on with the programme', () => {
    const cat = catalog(music, [playlist('ord', { kind: 'ordered', trackIds: ['m4', 'm5'] })]);
    const queue = [queueItem('q2', 'm2', 2), queueItem('q1', 'm1', 1), queueItem('qx', 'deleted', 0)];
    const planned = planUpcoming(input(cat, { queue, schedule: [entry('e', 'ord')] }), 5);
    expect(planned.map((d) => [d.trackId, d.reason, d.queueItemId])).toEqual([
      ['m1', 'request', 'q1'],
      ['m2', 'request', 'q2'],
      ['m4', 'playlist', null],
      ['m5', 'playlist', null],
      ['m4', 'playlist', null],
    ]);
  });

  it('advances the clock by each track, so a schedule boundary inside the look-ahead is honoured', () => {
    const cat = catalog(music, [
      playlist('a', { kind: 'ordered', trackIds: ['m1'] }),
      playlist('b', { kind: 'ordered', trackIds: ['m2'] }),
    ]);
    // 3-minute tracks from 10:00: 10:00, 10:03 in a; 10:06 in b
    const schedule = [entry('ea', 'a', { start: '10:00', end: '10:05' }), entry('eb', 'b', { start: '10:05', end: '11:00' })];
    expect(planUpcoming(input(cat, { schedule }), 3).map((d) => d.scheduleEntryId)).toEqual(['ea', 'ea', 'eb']);
  });

  it('gives what it can: an empty library plans nothing', () => {
    expect(planUpcoming(input(catalog([])), 3)).toEqual([]);
  });
});
