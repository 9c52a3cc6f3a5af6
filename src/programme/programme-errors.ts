import { WaveError } from '../common/wave-error.js';

/** Messages for the first few ids and one line for the rest: 10,000 wrong ids are not a 10,000-line answer. */
const LISTED = 20;
export function firstFew(items: string[], one: (item: string) => string, rest: (count: number) => string): string[] {
  const shown = items.slice(0, LISTED).map(one);
  return items.length > LISTED ? [...shown, rest(items.length - LISTED)] : shown;
}

export const playlistNotFound = (id: string) => new WaveError(404, 'playlist_not_found', `No playlist with id ${id}`);

/** Track ids of a body that are no library tracks: 400 naming the field and the ids. */
export function unknownTracks(field: string, trackIds: string[]): WaveError {
  return new WaveError(
    400,
    'unknown_track',
    firstFew(
      trackIds,
      (id) => `${field} names an unknown track ${id}`,
      (n) => `${field} names ${n} more unknown tracks`,
    ),
    { trackIds: trackIds.slice(0, 100) },
  );
}
