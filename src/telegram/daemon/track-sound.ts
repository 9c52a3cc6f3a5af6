import type { TrackSound } from '../../contracts/daemon-messages.js';
import type { TrackLoudness } from '../../contracts/track-library.js';

/**
 * A track's loudness and cues as a `set-upcoming` item or `audio-tracks.json` carries them, checked field by field
 * (they come over IPC or from a file), or why they are refused.
 */
export function trackSoundOf(value: unknown): TrackSound | string {
  if (!isRecord(value)) return 'must be an object';
  const loudness = loudnessOf(value.loudness ?? null);
  if (typeof loudness === 'string') return `loudness ${loudness}`;
  const cueIn = cueOf(value.cueIn);
  if (typeof cueIn === 'string') return `cueIn ${cueIn}`;
  const cueOut = cueOf(value.cueOut);
  if (typeof cueOut === 'string') return `cueOut ${cueOut}`;
  return { loudness, cueIn, cueOut };
}

/** The sound fields of a library track in `audio-tracks.json` (a file an older Wave wrote has none: undefined). */
export function librarySoundOf(track: Record<string, unknown>): TrackSound | undefined {
  if (track.loudness === undefined && track.cueIn === undefined && track.cueOut === undefined) return undefined;
  const sound = trackSoundOf({ loudness: track.loudness, cueIn: track.cueIn, cueOut: track.cueOut });
  // A field the daemon cannot read plays the track as it is rather than not at all.
  return typeof sound === 'string' ? undefined : sound;
}

function loudnessOf(value: unknown): TrackLoudness | null | string {
  if (value === null) return null;
  if (!isRecord(value)) return 'must be an object or null';
  for (const key of ['integratedLufs', 'rangeLu', 'truePeakDbtp'] as const) {
    const n = value[key];
    if (typeof n !== 'number' || !Number.isFinite(n)) return `${key} must be a finite number`;
  }
  return {
    integratedLufs: value.integratedLufs as number,
    rangeLu: value.rangeLu as number,
    truePeakDbtp: value.truePeakDbtp as number,
  };
}

function cueOf(value: unknown): number | null | string {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 'must be a number of seconds ≥ 0, or null';
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
