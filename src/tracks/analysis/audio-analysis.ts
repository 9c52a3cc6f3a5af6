import type { TrackLoudness } from '../../contracts/track-library.js';

/**
 * Reading ffmpeg's analysis pass (AudioAnalysisRepository): `silencedetect` then `ebur128=peak=true` over the whole
 * file, as ffmpeg 5.1 logs them on stderr. Pure, so the cue decision and the parsing are table-tested.
 */

/** Default silence threshold (dBFS), as the Telegram config's `silenceThresholdDb`. */
export const DEFAULT_SILENCE_THRESHOLD_DB = -50;
/** Shortest silence silencedetect reports (s): a pause shorter than this at either end is not worth skipping. */
export const MIN_SILENCE_SECONDS = 0.1;
/** A silence that starts this close to the start (or ends this close to the end) is at that end of the file (s). */
const EDGE_TOLERANCE_SECONDS = 0.05;
/** ebur128 gates blocks below -70 LUFS: a file measured there has no audible programme. */
const SILENT_LUFS = -70;

export interface Silence {
  start: number;
  /** Null: it lasted until the end of the file. */
  end: number | null;
}

/** What ffmpeg's log says of one pass; fields it did not print are null. */
export interface AnalysisLog {
  integratedLufs: number | null;
  rangeLu: number | null;
  truePeakDbtp: number | null;
  silences: Silence[];
  /** How much audio was decoded (the last `time=` of the final report), seconds. */
  decodedSeconds: number | null;
}

export interface Measurement {
  loudness: TrackLoudness;
  cueIn: number | null;
  cueOut: number | null;
}

/** Stable codes of an analysis that gave no measurement (stored on the track as its `analysis.error`). */
export type AnalysisFailureCode = 'silent' | 'no_measurement' | 'unreadable' | 'timeout' | 'ffmpeg_missing';

export type AnalysisOutcome = { ok: true; measurement: Measurement } | { ok: false; code: AnalysisFailureCode };

/** The ffmpeg filter chain of the pass at `thresholdDb`. */
export function analysisFilter(thresholdDb: number): string {
  return `silencedetect=n=${thresholdDb}dB:d=${MIN_SILENCE_SECONDS},ebur128=peak=true:framelog=verbose`;
}

const NUMBER = String.raw`(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|-?inf|nan)`;

function toNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

/** Parses ffmpeg's stderr of the pass (the ebur128 summary, silencedetect's lines, the final progress report). */
export function parseAnalysisLog(stderr: string): AnalysisLog {
  // The summary comes once, at the end; per-frame lines (logged at verbose) are not in an info-level log.
  const summary = stderr.slice(Math.max(0, stderr.lastIndexOf('Summary:')));
  const hasSummary = stderr.includes('Summary:');
  const field = (pattern: string) => (hasSummary ? toNumber(new RegExp(pattern, 'i').exec(summary)?.[1]) : null);
  const silences: Silence[] = [];
  for (const match of stderr.matchAll(new RegExp(String.raw`silence_(start|end): ${NUMBER}`, 'gi'))) {
    const value = toNumber(match[2]);
    if (value === null) continue;
    if (match[1].toLowerCase() === 'start') silences.push({ start: value, end: null });
    else {
      const open = silences.at(-1);
      if (open && open.end === null) open.end = value;
    }
  }
  const times = [...stderr.matchAll(/time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/g)];
  const last = times.at(-1);
  return {
    integratedLufs: field(String.raw`Integrated loudness:\s*I:\s*${NUMBER}\s*LUFS`),
    rangeLu: field(String.raw`Loudness range:\s*LRA:\s*${NUMBER}\s*LU`),
    truePeakDbtp: field(String.raw`True peak:\s*Peak:\s*${NUMBER}\s*dB`),
    silences,
    decodedSeconds: last ? Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]) : null,
  };
}

/**
 * The cues of a file `length` seconds long with these silences: the end of a silence at its start, the start of a
 * silence at its end (null where there is none). 'silent' when one silence covers it all.
 */
export function decideCues(silences: readonly Silence[], length: number): { cueIn: number | null; cueOut: number | null } | 'silent' {
  const reachesEnd = (silence: Silence) => silence.end === null || silence.end >= length - EDGE_TOLERANCE_SECONDS;
  const first = silences[0];
  const last = silences.at(-1);
  const leading = first && first.start <= EDGE_TOLERANCE_SECONDS ? first : undefined;
  const trailing = last && reachesEnd(last) ? last : undefined;
  if (leading && reachesEnd(leading)) return 'silent';
  return {
    cueIn: leading?.end ?? null,
    cueOut: trailing && trailing !== leading ? trailing.start : null,
  };
}

/** The measurement in one pass' log, or why there is none. `duration` (ffprobe's) stands in when no `time=` was logged. */
export function analysisOutcome(stderr: string, duration: number): AnalysisOutcome {
  const log = parseAnalysisLog(stderr);
  const { integratedLufs, rangeLu, truePeakDbtp } = log;
  if (integratedLufs === null || rangeLu === null || truePeakDbtp === null) return { ok: false, code: 'no_measurement' };
  if (!Number.isFinite(integratedLufs) || integratedLufs <= SILENT_LUFS || !Number.isFinite(truePeakDbtp))
    return { ok: false, code: 'silent' };
  const cues = decideCues(log.silences, log.decodedSeconds ?? duration);
  if (cues === 'silent') return { ok: false, code: 'silent' };
  return {
    ok: true,
    measurement: { loudness: { integratedLufs, rangeLu: Number.isFinite(rangeLu) ? rangeLu : 0, truePeakDbtp }, ...cues },
  };
}
