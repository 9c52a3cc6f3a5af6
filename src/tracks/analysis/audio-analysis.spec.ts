import { describe, expect, it } from 'vitest';
import { analysisLog } from '../../../test/fakes/audio-analysis.repository.fake.js';
import { analysisFilter, analysisOutcome, decideCues, parseAnalysisLog, type Silence } from './audio-analysis.js';

/** ffmpeg 5.1's stderr of `-af silencedetect=n=-50dB:d=0.1,ebur128=peak=true:framelog=verbose -f null -` on a real file. */
const REAL_LOG = `Input #0, mp3, from 'sil.mp3':
  Duration: 00:00:11.05, start: 0.025057, bitrate: 128 kb/s
[silencedetect @ 0x55cc9fe8c280] silence_start: 0
[silencedetect @ 0x55cc9fe8c280] silence_end: 3.00007 | silence_duration: 3.00007
[silencedetect @ 0x55cc9fe8c280] silence_start: 7.99995
size=N/A time=00:00:11.00 bitrate=N/A speed=  74x
video:0kB audio:1895kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[silencedetect @ 0x55cc9fe8c280] silence_end: 11 | silence_duration: 3.00005
[Parsed_ebur128_1 @ 0x55cc9fe8cc00] Summary:

  Integrated loudness:
    I:         -32.3 LUFS
    Threshold: -42.4 LUFS

  Loudness range:
    LRA:         8.7 LU
    Threshold: -54.0 LUFS
    LRA low:   -40.8 LUFS
    LRA high:  -32.0 LUFS

  True peak:
    Peak:      -30.0 dBFS
`;

describe('parseAnalysisLog', () => {
  it("reads ffmpeg 5.1's summary, silences and decoded length", () => {
    expect(parseAnalysisLog(REAL_LOG)).toEqual({
      integratedLufs: -32.3,
      rangeLu: 8.7,
      truePeakDbtp: -30,
      silences: [
        { start: 0, end: 3.00007 },
        { start: 7.99995, end: 11 },
      ],
      decodedSeconds: 11,
    });
  });

  it.each([
    ['no summary (ffmpeg stopped early)', 'size=N/A time=00:00:01.00', { integratedLufs: null, rangeLu: null, truePeakDbtp: null }],
    ['-inf true peak (digital silence)', analysisLog().replace('-1.5 dBFS', '-inf dBFS'), { truePeakDbtp: Number.NEGATIVE_INFINITY }],
    ['an hour-long file', analysisLog({ seconds: 3723.5 }), { decodedSeconds: 3723.5 }],
    ['a silence still open at the end', analysisLog({ silences: [[5, null]] }), { silences: [{ start: 5, end: null }] }],
  ])('%s', (_name, log, expected) => {
    expect(parseAnalysisLog(log)).toMatchObject(expected);
  });
});

describe('decideCues', () => {
  it.each<[string, Silence[], number, ReturnType<typeof decideCues>]>([
    ['no silence', [], 10, { cueIn: null, cueOut: null }],
    ['leading only', [{ start: 0, end: 3 }], 10, { cueIn: 3, cueOut: null }],
    ['trailing, ended at the end', [{ start: 7, end: 10 }], 10, { cueIn: null, cueOut: 7 }],
    ['trailing, still open', [{ start: 7, end: null }], 10, { cueIn: null, cueOut: 7 }],
    [
      'both, a pause between kept',
      [
        { start: 0, end: 3 },
        { start: 5, end: 5.5 },
        { start: 8, end: 11 },
      ],
      11,
      { cueIn: 3, cueOut: 8 },
    ],
    ['a pause in the middle only', [{ start: 4, end: 5 }], 10, { cueIn: null, cueOut: null }],
    ['a silence starting just after 0 is leading', [{ start: 0.02, end: 1 }], 10, { cueIn: 1, cueOut: null }],
    ['a silence ending just before the end is trailing', [{ start: 9, end: 9.97 }], 10, { cueIn: null, cueOut: 9 }],
    ['silent throughout', [{ start: 0, end: null }], 10, 'silent'],
    ['silent to the end', [{ start: 0, end: 10 }], 10, 'silent'],
  ])('%s', (_name, silences, length, expected) => {
    expect(decideCues(silences, length)).toEqual(expected);
  });
});

describe('analysisOutcome', () => {
  it.each([
    [
      'a measured file with silent ends',
      REAL_LOG,
      11.05,
      { ok: true, measurement: { loudness: { integratedLufs: -32.3, rangeLu: 8.7, truePeakDbtp: -30 }, cueIn: 3.00007, cueOut: 7.99995 } },
    ],
    ['no summary', 'Invalid data found when processing input', 10, { ok: false, code: 'no_measurement' }],
    [
      'digital silence (-70 LUFS, -inf peak)',
      analysisLog({ integratedLufs: -70, truePeakDbtp: -1 }).replace('-1.0 dBFS', '-inf dBFS'),
      10,
      { ok: false, code: 'silent' },
    ],
    [
      'quiet noise that is all below the threshold',
      analysisLog({ integratedLufs: -60, silences: [[0, null]] }),
      10,
      { ok: false, code: 'silent' },
    ],
  ])('%s', (_name, log, duration, expected) => {
    expect(analysisOutcome(log, duration)).toEqual(expected);
  });

  it('uses the duration when ffmpeg logged no time', () => {
    const log = analysisLog({ silences: [[8, 10]] }).replace(/size=.*\n/, '');
    expect(analysisOutcome(log, 10)).toMatchObject({ ok: true, measurement: { cueOut: 8 } });
  });
});

describe('analysisFilter', () => {
  it('detects silence below the threshold, then measures loudness with the true peak, in one pass', () => {
    expect(analysisFilter(-42)).toBe('silencedetect=n=-42dB:d=0.1,ebur128=peak=true:framelog=verbose');
  });
});
