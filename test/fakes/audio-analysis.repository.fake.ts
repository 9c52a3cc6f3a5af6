import type { AudioAnalysisRepository } from '../../src/repositories/audio-analysis.repository.js';
import type { RepositoryApi } from './repository-api.js';

/** ffmpeg 5.1's log of an analysis pass (what parseAnalysisLog reads), for a file measured at these values. */
export function analysisLog({
  integratedLufs = -20,
  rangeLu = 3.5,
  truePeakDbtp = -1.5,
  seconds = 10,
  silences = [] as Array<[number, number | null]>,
} = {}): string {
  const lines = silences.flatMap(([start, end]) => [
    `[silencedetect @ 0x1] silence_start: ${start}`,
    ...(end === null ? [] : [`[silencedetect @ 0x1] silence_end: ${end} | silence_duration: ${end - start}`]),
  ]);
  const time = new Date(seconds * 1000).toISOString().slice(11, 22);
  return [
    ...lines,
    `size=N/A time=${time} bitrate=N/A speed=80x`,
    '[Parsed_ebur128_1 @ 0x2] Summary:',
    '',
    '  Integrated loudness:',
    `    I:         ${integratedLufs.toFixed(1)} LUFS`,
    '    Threshold: -30.0 LUFS',
    '',
    '  Loudness range:',
    `    LRA:         ${rangeLu.toFixed(1)} LU`,
    '    Threshold: -40.0 LUFS',
    '',
    '  True peak:',
    `    Peak:       ${truePeakDbtp.toFixed(1)} dBFS`,
    '',
  ].join('\n');
}

/** ffmpeg's analysis, faked: `onAnalyse` answers (a -20 LUFS file without silences by default); calls are kept. */
export class FakeAudioAnalysisRepository implements RepositoryApi<AudioAnalysisRepository> {
  readonly calls: Array<{ path: string; filter: string; timeoutMs: number }> = [];
  onAnalyse: (path: string, filter: string) => Promise<string> = () => Promise.resolve(analysisLog());

  analyse(path: string, filter: string, timeoutMs: number): Promise<string> {
    this.calls.push({ path, filter, timeoutMs });
    return this.onAnalyse(path, filter);
  }
}
