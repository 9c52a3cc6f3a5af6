/**
 * The playout decider: from the schedule, the rotation state, the request queue and the clock, the next item.
 * Pure (no I/O, no clock, no randomness of its own), so a restarted Wave given the same persisted state decides the
 * same, and every rule is a table test.
 *
 * At each boundary, first match wins: (1) a request, (2) an hourly playlist due, (3) a jingle due, (4) the programme
 * (the highest-priority schedule entry on), (5) the general rotation (weighted), (6) the whole library in its order.
 * A playlist without a playable track falls through to the next rule, so there is never silence while a track exists.
 */
import type { Decision, Playlist, PlaylistCursor, ProgrammeState, QueueItem, ScheduleEntry } from './programme.model.js';
import { activeEntries, localHour } from './schedule-time.js';

export interface CatalogTrack {
  id: string;
  artist: string;
  /** Seconds (0 when unknown). */
  duration: number;
  /** trackHash(id), computed once when the catalog is built */
  hash: number;
}

/**
 * Built anew when the library or a playlist changes, never edited in place: the decider keeps each playlist's members
 * resolved to their tracks per (tracks, trackIds) pair, so a decision walks an array rather than 50,000 map lookups.
 */
export interface ProgrammeCatalog {
  tracks: ReadonlyMap<string, CatalogTrack>;
  /** the library's track ids in play order */
  libraryOrder: readonly string[];
  playlists: readonly Playlist[];
}

export interface DecideInput {
  /** Epoch ms the item will start. */
  at: number;
  timeZone: string;
  catalog: ProgrammeCatalog;
  schedule: readonly ScheduleEntry[];
  queue: readonly QueueItem[];
  state: ProgrammeState;
}

/** The artists remembered for the artist rule (the largest separation that can be honoured). */
export const RECENT_ARTISTS_KEPT = 50;

/** FNV-1a, 32-bit, over the id's UTF-16 code units. */
export function trackHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A catalog track with its hash (the hash is computed here once, never per decision). */
export function catalogTrack(id: string, artist: string, duration: number): CatalogTrack {
  return { id, artist, duration, hash: trackHash(id) };
}

export function initialProgrammeState(seed: number): ProgrammeState {
  return {
    seed: seed >>> 0,
    cursors: {},
    library: newCursor(),
    recentArtists: [],
    tracksSinceJingle: {},
    lastJingleAt: {},
    lastHourlyAt: {},
    generalPlays: 0,
    appliedItemIds: [],
  };
}

function newCursor(cycle = 0): PlaylistCursor {
  return { cycle, key: -1, ahead: [], lastTrackId: null, lastIndex: -1 };
}

// ---------------------------------------------------------------------------------------------------------------
// Mixing: murmur3's finaliser, a bijection of 32-bit integers with full avalanche.

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** What every key of one playlist's cycle shares: the seed, the cycle and the playlist, mixed once per pass. */
function cycleBase(seed: number, cycle: number, playlistHash: number): number {
  return fmix32(seed ^ fmix32((playlistHash + Math.imul(cycle, 0x9e3779b9)) >>> 0));
}

/** A track's shuffle key in a cycle: a 32-bit mix of (track hash, seed, cycle, playlist). */
function shuffleKey(trackHashValue: number, base: number): number {
  return fmix32((fmix32(trackHashValue ^ base) + base) >>> 0);
}

/** A uniform number in [0, 1) for the n-th weighted choice of a seed. */
function unitInterval(seed: number, n: number): number {
  return fmix32(fmix32(seed ^ 0x6a09e667) ^ fmix32(n >>> 0)) / 0x1_0000_0000;
}

// ---------------------------------------------------------------------------------------------------------------
// Rotation: a shuffle per cycle, walked by key; the cursor keeps the last key played in order and the keys played
// ahead of it (where the artist rule made it skip). Every step is one pass over the members, with no sort.

/**
 * A rotation's members that are in the library, with the hash each is shuffled by. Every key of a cycle is a bijection
 * of that hash, so distinct hashes never tie; the rare member whose trackHash equals an earlier member's (≈ 25 % odds of
 * one pair at 50,000 tracks) is given a distinct one, else it would never get past the cursor. A track listed twice is
 * one member.
 */
interface Members {
  tracks: ReadonlyMap<string, CatalogTrack>;
  length: number;
  list: CatalogTrack[];
  hashes: Uint32Array;
  /** The members whose hash is not their trackHash (a collision), by id. */
  rehashed: Map<string, number>;
}

const resolved = new WeakMap<readonly string[], Members>();

/** Resolved once per (tracks, trackIds) pair, then reused: a decision walks a typed array, not 50,000 map lookups. */
function membersOf(trackIds: readonly string[], tracks: ReadonlyMap<string, CatalogTrack>): Members {
  const cached = resolved.get(trackIds);
  if (cached !== undefined && cached.tracks === tracks && cached.length === trackIds.length) return cached;
  const list: CatalogTrack[] = [];
  for (const id of trackIds) {
    const track = tracks.get(id);
    if (track !== undefined) list.push(track);
  }
  const hashes = Uint32Array.from(list, (track) => track.hash);
  const sorted = hashes.slice().sort();
  let distinct = true;
  for (let i = 1; i < sorted.length && distinct; i++) distinct = sorted[i] !== sorted[i - 1];
  const members: Members = { tracks, length: trackIds.length, list, hashes, rehashed: new Map() };
  // A tie is rare (a track listed twice, or a trackHash collision): only then the slower pass that tells them apart.
  if (!distinct) Object.assign(members, separateTies(list));
  resolved.set(trackIds, members);
  return members;
}

/** Drops a track listed again; gives a member whose hash an earlier member has a distinct one. */
function separateTies(all: readonly CatalogTrack[]): Pick<Members, 'list' | 'hashes' | 'rehashed'> {
  const list: CatalogTrack[] = [];
  const hashes: number[] = [];
  const owner = new Map<number, string>();
  const rehashed = new Map<string, number>();
  for (const track of all) {
    if (rehashed.has(track.id) || owner.get(track.hash) === track.id) continue;
    let hash = track.hash;
    for (let attempt = 1; owner.has(hash); attempt++) hash = fmix32((track.hash + Math.imul(attempt, 0x9e3779b9)) >>> 0);
    if (hash !== track.hash) rehashed.set(track.id, hash);
    owner.set(hash, track.id);
    list.push(track);
    hashes.push(hash);
  }
  return { list, hashes: Uint32Array.from(hashes), rehashed };
}

function memberHash(members: Members, track: CatalogTrack): number {
  return members.rehashed.get(track.id) ?? track.hash;
}

/** The artists the rule keeps out now: the last `separation` music plays' (an empty artist keeps nothing out). */
function blockedArtists(recentArtists: readonly string[], separation: number): ReadonlySet<string> | null {
  if (separation <= 0 || recentArtists.length === 0) return null;
  const blocked = new Set(recentArtists.slice(-Math.min(separation, RECENT_ARTISTS_KEPT)));
  blocked.delete('');
  return blocked.size > 0 ? blocked : null;
}

interface RotationPick {
  track: CatalogTrack;
  cycle: number;
  key: number;
}

/**
 * The smallest remaining key of a cycle whose artist is not blocked, else the smallest remaining (the artist rule
 * gives way rather than silence); `avoid` is passed over unless it is all that remains.
 */
function smallestRemaining(
  members: Members,
  base: number,
  cursor: { key: number; ahead: readonly number[] },
  blocked: ReadonlySet<string> | null,
  avoid: string | null,
): { track: CatalogTrack; key: number } | null {
  const ahead = cursor.ahead.length > 0 ? new Set(cursor.ahead) : null;
  const after = cursor.key;
  // Ranked: 0 free, 1 artist blocked, 2 the track to avoid; the best rank wins, then the smallest key.
  let best: CatalogTrack | null = null;
  let bestKey = 0;
  let bestRank = 3;
  const { list, hashes } = members;
  for (let i = 0; i < hashes.length; i++) {
    const key = shuffleKey(hashes[i], base);
    // Cheap tests first: once a free track is found only a smaller key can win, so the set lookups are rare.
    if (key <= after || (bestRank === 0 && key >= bestKey) || (ahead !== null && ahead.has(key))) continue;
    const track = list[i];
    const rank = track.id === avoid ? 2 : blocked !== null && blocked.has(track.artist) ? 1 : 0;
    if (rank < bestRank || (rank === bestRank && key < bestKey)) {
      best = track;
      bestKey = key;
      bestRank = rank;
    }
  }
  return best === null ? null : { track: best, key: bestKey };
}

function pickRotation(playlist: Playlist, state: ProgrammeState, tracks: ReadonlyMap<string, CatalogTrack>): RotationPick | null {
  const cursor = state.cursors[playlist.id] ?? newCursor();
  const playlistHash = trackHash(playlist.id);
  const blocked = blockedArtists(state.recentArtists, playlist.artistSeparation);
  const members = membersOf(playlist.trackIds, tracks);
  const inCycle = smallestRemaining(members, cycleBase(state.seed, cursor.cycle, playlistHash), cursor, blocked, null);
  if (inCycle !== null) return { ...inCycle, cycle: cursor.cycle };
  // The cycle is played out: a fresh order, not opening with the track that closed the last one.
  const cycle = cursor.cycle + 1;
  const fresh = smallestRemaining(members, cycleBase(state.seed, cycle, playlistHash), newCursor(), blocked, cursor.lastTrackId);
  return fresh === null ? null : { ...fresh, cycle };
}

/**
 * The cursor after `trackId` played from a rotation: its key becomes the cursor when nothing unplayed lies below it,
 * and keys played ahead that are then no longer above an unplayed one are folded in; otherwise it goes to `ahead`.
 */
function rotationCursorAfter(
  playlist: Playlist,
  previous: PlaylistCursor,
  trackId: string,
  seed: number,
  tracks: ReadonlyMap<string, CatalogTrack>,
): PlaylistCursor {
  const played = tracks.get(trackId);
  if (played === undefined) return previous;
  const playlistHash = trackHash(playlist.id);
  const members = membersOf(playlist.trackIds, tracks);
  const playedHash = memberHash(members, played);
  let cursor = previous;
  let base = cycleBase(seed, cursor.cycle, playlistHash);
  let playedKey = shuffleKey(playedHash, base);
  if (playedKey <= cursor.key || cursor.ahead.includes(playedKey)) {
    // Played already this cycle: the decider had started the next one.
    cursor = newCursor(cursor.cycle + 1);
    base = cycleBase(seed, cursor.cycle, playlistHash);
    playedKey = shuffleKey(playedHash, base);
  }
  const ahead = new Set(cursor.ahead);
  ahead.add(playedKey);
  let lowestUnplayed = Infinity;
  const { hashes } = members;
  for (let i = 0; i < hashes.length; i++) {
    const key = shuffleKey(hashes[i], base);
    if (key > cursor.key && key < lowestUnplayed && !ahead.has(key)) lowestUnplayed = key;
  }
  let key = cursor.key;
  const stillAhead: number[] = [];
  for (const k of ahead) {
    if (k < lowestUnplayed) key = Math.max(key, k);
    else stillAhead.push(k);
  }
  return { cycle: cursor.cycle, key, ahead: stillAhead, lastTrackId: trackId, lastIndex: previous.lastIndex };
}

// ---------------------------------------------------------------------------------------------------------------
// Ordered playlists (and jingles, hourlies, the library): the next after the last played, in order.

/** Where `cursor`'s last track stands in `order` now: its place then if unchanged, else its nearest occurrence; -1 if gone. */
function lastPlace(order: readonly string[], cursor: PlaylistCursor): number {
  if (cursor.lastTrackId === null) return -1;
  if (order[cursor.lastIndex] === cursor.lastTrackId) return cursor.lastIndex;
  let nearest = -1;
  for (let i = 0; i < order.length; i++) {
    if (order[i] === cursor.lastTrackId && (nearest === -1 || Math.abs(i - cursor.lastIndex) < Math.abs(nearest - cursor.lastIndex))) {
      nearest = i;
    }
  }
  return nearest;
}

/** The index of the next playable track in `order`; -1 when none is playable. */
function nextOrderedIndex(order: readonly string[], cursor: PlaylistCursor, tracks: ReadonlyMap<string, CatalogTrack>): number {
  if (order.length === 0) return -1;
  const place = lastPlace(order, cursor);
  // The last one was removed: the one now in its place comes next (what followed it moved up into it).
  const after = place >= 0 ? place + 1 : cursor.lastTrackId === null ? 0 : Math.max(cursor.lastIndex, 0);
  // Past the end (the list got shorter than the place it stood at): wrap to the start.
  const first = after >= order.length ? 0 : after;
  for (let step = 0; step < order.length; step++) {
    const index = (first + step) % order.length;
    if (tracks.has(order[index])) return index;
  }
  return -1;
}

function orderedCursorAfter(
  order: readonly string[],
  previous: PlaylistCursor,
  trackId: string,
  tracks: ReadonlyMap<string, CatalogTrack>,
): PlaylistCursor {
  const expected = nextOrderedIndex(order, previous, tracks);
  const index = order[expected] === trackId ? expected : order.indexOf(trackId);
  return { ...previous, ahead: [], lastTrackId: trackId, lastIndex: index >= 0 ? index : previous.lastIndex };
}

// ---------------------------------------------------------------------------------------------------------------
// The decision

function isMusic(reason: Decision['reason']): boolean {
  return reason === 'rotation' || reason === 'playlist' || reason === 'request';
}

function decision(trackId: string, reason: Decision['reason'], playlistId: string | null, scheduleEntryId: string | null): Decision {
  return { trackId, reason, playlistId, queueItemId: null, scheduleEntryId };
}

/** The first item (lowest position) whose track still exists. */
function firstRequest(queue: readonly QueueItem[], tracks: ReadonlyMap<string, CatalogTrack>): QueueItem | null {
  let first: QueueItem | null = null;
  for (const item of queue) {
    if (tracks.has(item.trackId) && (first === null || item.position < first.position)) first = item;
  }
  return first;
}

/** A track from a rotation or ordered playlist, or null when it has none playable. */
function fromPlaylist(
  playlist: Playlist,
  state: ProgrammeState,
  tracks: ReadonlyMap<string, CatalogTrack>,
  entryId: string | null,
): Decision | null {
  switch (playlist.kind) {
    case 'rotation': {
      const pick = pickRotation(playlist, state, tracks);
      return pick === null ? null : decision(pick.track.id, 'rotation', playlist.id, entryId);
    }
    case 'ordered':
    case 'jingle':
    case 'hourly': {
      const index = nextOrderedIndex(playlist.trackIds, state.cursors[playlist.id] ?? newCursor(), tracks);
      if (index < 0) return null;
      const reason = playlist.kind === 'ordered' ? 'playlist' : playlist.kind;
      return decision(playlist.trackIds[index], reason, playlist.id, entryId);
    }
  }
}

function jingleDue(playlist: Playlist, state: ProgrammeState, at: number): boolean {
  const byTracks =
    playlist.everyTracks !== null && playlist.everyTracks > 0 && (state.tracksSinceJingle[playlist.id] ?? 0) >= playlist.everyTracks;
  const last = state.lastJingleAt[playlist.id];
  const byTime =
    playlist.everyMinutes !== null && playlist.everyMinutes > 0 && (last === undefined || at - last >= playlist.everyMinutes * 60_000);
  return byTracks || byTime;
}

export function decideNext(input: DecideInput): Decision | null {
  const { at, timeZone, catalog, schedule, queue, state } = input;
  const { tracks } = catalog;

  const request = firstRequest(queue, tracks);
  if (request !== null) return { ...decision(request.trackId, 'request', null, null), queueItemId: request.id };

  const active = activeEntries(schedule, timeZone, at);
  const scheduled = new Set(schedule.map((entry) => entry.playlistId));
  /** Jingles and hourlies on the schedule play only while one of their entries is on (its id, or null: unscheduled). */
  const gate = (playlist: Playlist): { eligible: boolean; entryId: string | null } => {
    if (!scheduled.has(playlist.id)) return { eligible: true, entryId: null };
    const entry = active.find((e) => e.playlistId === playlist.id);
    return { eligible: entry !== undefined, entryId: entry?.id ?? null };
  };

  const hour = localHour(timeZone, at);
  for (const playlist of catalog.playlists) {
    if (!playlist.enabled || playlist.kind !== 'hourly' || playlist.minute === null) continue;
    if (hour.minute < playlist.minute || state.lastHourlyAt[playlist.id] === hour.start) continue;
    const { eligible, entryId } = gate(playlist);
    const chosen = eligible ? fromPlaylist(playlist, state, tracks, entryId) : null;
    if (chosen !== null) return chosen;
  }

  for (const playlist of catalog.playlists) {
    if (!playlist.enabled || playlist.kind !== 'jingle' || !jingleDue(playlist, state, at)) continue;
    const { eligible, entryId } = gate(playlist);
    const chosen = eligible ? fromPlaylist(playlist, state, tracks, entryId) : null;
    if (chosen !== null) return chosen;
  }

  const playlists = new Map(catalog.playlists.map((playlist) => [playlist.id, playlist]));
  for (const entry of active) {
    const playlist = playlists.get(entry.playlistId);
    // A scheduled jingle or hourly is a gate for rules 2 and 3, not a programme of back-to-back jingles.
    if (playlist === undefined || !playlist.enabled || (playlist.kind !== 'rotation' && playlist.kind !== 'ordered')) continue;
    const chosen = fromPlaylist(playlist, state, tracks, entry.id);
    if (chosen !== null) return chosen;
  }

  const general = catalog.playlists.filter((p) => p.enabled && p.kind === 'rotation' && p.weight > 0 && !scheduled.has(p.id));
  const draw = unitInterval(state.seed, state.generalPlays);
  while (general.length > 0) {
    const total = general.reduce((sum, p) => sum + p.weight, 0);
    let point = draw * total;
    let index = 0;
    while (index < general.length - 1 && point >= general[index].weight) point -= general[index++].weight;
    const chosen = fromPlaylist(general[index], state, tracks, null);
    if (chosen !== null) return chosen;
    general.splice(index, 1);
  }

  const index = nextOrderedIndex(catalog.libraryOrder, state.library, tracks);
  return index < 0 ? null : decision(catalog.libraryOrder[index], 'playlist', null, null);
}

export function afterPlay(
  state: ProgrammeState,
  decided: Decision,
  at: number,
  catalog: ProgrammeCatalog,
  timeZone: string,
): ProgrammeState {
  const { tracks } = catalog;
  const next: ProgrammeState = { ...state };
  const playlist = decided.playlistId === null ? undefined : catalog.playlists.find((p) => p.id === decided.playlistId);
  if (decided.reason === 'playlist' && decided.playlistId === null) {
    next.library = orderedCursorAfter(catalog.libraryOrder, state.library, decided.trackId, tracks);
  } else if (playlist !== undefined && decided.reason !== 'request') {
    const previous = state.cursors[playlist.id] ?? newCursor();
    const cursor =
      playlist.kind === 'rotation'
        ? rotationCursorAfter(playlist, previous, decided.trackId, state.seed, tracks)
        : orderedCursorAfter(playlist.trackIds, previous, decided.trackId, tracks);
    next.cursors = { ...state.cursors, [playlist.id]: cursor };
  }

  if (isMusic(decided.reason)) {
    // Jingles and station IDs are not music: they neither count towards a jingle nor hold an artist back.
    const artist = tracks.get(decided.trackId)?.artist ?? '';
    next.recentArtists = [...state.recentArtists, artist].slice(-RECENT_ARTISTS_KEPT);
    next.tracksSinceJingle = { ...state.tracksSinceJingle };
    for (const p of catalog.playlists) if (p.kind === 'jingle') next.tracksSinceJingle[p.id] = (state.tracksSinceJingle[p.id] ?? 0) + 1;
  }
  if (decided.reason === 'jingle' && decided.playlistId !== null) {
    next.tracksSinceJingle = { ...next.tracksSinceJingle, [decided.playlistId]: 0 };
    next.lastJingleAt = { ...state.lastJingleAt, [decided.playlistId]: at };
  }
  if (decided.reason === 'hourly' && decided.playlistId !== null) {
    next.lastHourlyAt = { ...state.lastHourlyAt, [decided.playlistId]: localHour(timeZone, at).start };
  }
  if (decided.reason === 'rotation' && decided.scheduleEntryId === null) next.generalPlays = state.generalPlays + 1;
  return next;
}

/** The next `count` decisions, each applied as if played in full (the look-ahead the daemon is sent). */
export function planUpcoming(input: DecideInput, count: number): Decision[] {
  const planned: Decision[] = [];
  let { at, queue, state } = input;
  for (let i = 0; i < count; i++) {
    const decided = decideNext({ ...input, at, queue, state });
    if (decided === null) break;
    planned.push(decided);
    state = afterPlay(state, decided, at, input.catalog, input.timeZone);
    at += (input.catalog.tracks.get(decided.trackId)?.duration ?? 0) * 1000;
    if (decided.queueItemId !== null) queue = queue.filter((item) => item.id !== decided.queueItemId);
  }
  return planned;
}
