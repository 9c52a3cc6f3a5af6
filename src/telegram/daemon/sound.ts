import type { SoundSettings, TrackReason, TrackSound } from '../../contracts/daemon-messages.js';

/** The true peak every normalized track stays under (EBU R128 streaming practice: -1 dBTP). */
export const TRUE_PEAK_CEILING_DBTP = -1;
/**
 * The limiter's ceiling in sample peak: below the true-peak ceiling by the overshoot between samples and after the AAC
 * encoder (~0.5–1 dB for music), so what the listener decodes stays under -1 dBTP.
 */
export const LIMITER_CEILING_DBFS = -2;
/** A quiet track is raised at most this much: past it, its noise floor would come up with it. */
export const MAX_GAIN_DB = 20;
/** And a loud one lowered at most this much. */
export const MIN_GAIN_DB = -30;

/** How a track is decoded: the gain that brings it to the target, whether a limiter must hold its peaks, and its cues. */
export interface TrackShaping {
  gainDb: number;
  limit: boolean;
  /** Seconds into the file where playing starts (0: its start). */
  startSec: number;
  /** Seconds to play from there; null: to the file's end. */
  durationSec: number | null;
}

/**
 * The gain of a measured track at `settings.loudnessTarget` (0 when normalization is off or the track is not measured
 * yet), and whether the gained true peak would pass the ceiling — then a limiter holds it (never clipping).
 */
export function trackShaping(sound: TrackSound | undefined, settings: Pick<SoundSettings, 'normalize' | 'loudnessTarget'>): TrackShaping {
  const loudness = sound?.loudness ?? null;
  let gainDb = 0;
  if (settings.normalize && loudness && Number.isFinite(loudness.integratedLufs))
    gainDb = round2(Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, settings.loudnessTarget - loudness.integratedLufs)));
  const limit = gainDb !== 0 && loudness !== null && loudness.truePeakDbtp + gainDb > LIMITER_CEILING_DBFS;
  const startSec = Math.max(0, sound?.cueIn ?? 0);
  const cueOut = sound?.cueOut ?? null;
  const durationSec = cueOut !== null && cueOut > startSec ? round3(cueOut - startSec) : null;
  return { gainDb, limit, startSec: round3(startSec), durationSec };
}

/** ffmpeg input options (before `-i`) that play only the cued part of a file. */
export function cueInputArgs(shaping: TrackShaping): string[] {
  const args: string[] = [];
  if (shaping.startSec > 0) args.push('-ss', shaping.startSec.toFixed(3));
  if (shaping.durationSec !== null) args.push('-t', shaping.durationSec.toFixed(3));
  return args;
}

/** The `-af` chain for a track's gain (and limiter), or null when it plays as it is. */
export function gainFilter(shaping: TrackShaping): string | null {
  if (shaping.gainDb === 0) return null;
  const volume = `volume=${shaping.gainDb.toFixed(2)}dB`;
  if (!shaping.limit) return volume;
  // level=0: no "auto level" make-up gain after limiting; 5 ms look-ahead, 50 ms release.
  const limit = (10 ** (LIMITER_CEILING_DBFS / 20)).toFixed(4);
  return `${volume},alimiter=limit=${limit}:attack=5:release=50:level=0`;
}

/** Whether two neighbouring plays may overlap: not around a jingle or an hourly ID when the settings say so. */
export function mayCrossfade(
  outgoing: TrackReason | undefined,
  incoming: TrackReason | undefined,
  settings: Pick<SoundSettings, 'crossfadeSec' | 'crossfadeJingles'>,
): boolean {
  if (settings.crossfadeSec <= 0) return false;
  if (settings.crossfadeJingles) return true;
  return !isStationId(outgoing) && !isStationId(incoming);
}

function isStationId(reason: TrackReason | undefined): boolean {
  return reason === 'jingle' || reason === 'hourly';
}

/** How a fade moves between its two sides: equal power (songs: the sum stays as loud) or linear (a source switch). */
export type FadeCurve = 'equal-power' | 'linear';

/**
 * Mixes what leaves into what comes (s16le, interleaved, `outgoing` and `incoming` the same length): `fromFrame` is how
 * far into the fade of `totalFrames` frames they start, past its end only `incoming` is heard; the frames of a channel
 * share a gain. Returns a new buffer; samples are clipped to 16 bits.
 */
export function mixCrossfade(
  outgoing: Buffer,
  incoming: Buffer,
  channels: number,
  fromFrame: number,
  totalFrames: number,
  curve: FadeCurve = 'equal-power',
): Buffer {
  const out = Buffer.allocUnsafe(outgoing.length);
  const samples = outgoing.length >> 1;
  for (let i = 0; i < samples; i++) {
    const progress = Math.min(1, (fromFrame + Math.floor(i / channels)) / totalFrames);
    const [down, up] =
      curve === 'linear' ? [1 - progress, progress] : [Math.cos((progress * Math.PI) / 2), Math.sin((progress * Math.PI) / 2)];
    const mixed = Math.round(outgoing.readInt16LE(i << 1) * down + incoming.readInt16LE(i << 1) * up);
    out.writeInt16LE(Math.max(-32768, Math.min(32767, mixed)), i << 1);
  }
  return out;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
