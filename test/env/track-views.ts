/** The fields of a track view the background loudness analysis fills in while a test runs. */
type SoundFields = 'loudness' | 'cueIn' | 'cueOut' | 'cueInSource' | 'cueOutSource' | 'analysis';

/** A track view without what the background loudness analysis changes meanwhile, for comparing views taken apart. */
export function withoutSound<T extends object>(track: T): Omit<T, SoundFields> {
  const {
    loudness: _l,
    cueIn: _i,
    cueOut: _o,
    cueInSource: _is,
    cueOutSource: _os,
    analysis: _a,
    ...rest
  } = track as T & Record<string, unknown>;
  return rest;
}
