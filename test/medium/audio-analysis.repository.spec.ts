import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioAnalysisError, AudioAnalysisRepository } from '../../src/repositories/audio-analysis.repository.js';
import { analysisFilter, analysisOutcome } from '../../src/tracks/analysis/audio-analysis.js';
import { makeTempDir } from '../env/index.js';
import { makeMeasuredTone } from '../env/media.js';

// The analysis pass on the real ffmpeg (Debian's 5.1): loudness within ±0.5 LU of what the tones are made at, cues
// within ±0.1 s of their silent ends.

describe('AudioAnalysisRepository (real ffmpeg)', () => {
  const repository = new AudioAnalysisRepository();
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('wave-analysis-');
  });

  async function measure(file: string, duration: number, thresholdDb = -50) {
    return analysisOutcome(await repository.analyse(file, analysisFilter(thresholdDb), 60_000), duration);
  }

  it.each([
    [-30, 'wav'],
    [-20, 'wav'],
    [-8, 'wav'],
    [-20, 'mp3'],
    [-14, 'flac'],
  ])('measures a tone made at %d LUFS (%s)', async (lufs, extension) => {
    const file = join(dir, `tone${lufs}.${extension}`);
    await makeMeasuredTone(file, { lufs, seconds: 8 });
    const outcome = await measure(file, 8);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const { loudness, cueIn, cueOut } = outcome.measurement;
    expect(Math.abs(loudness.integratedLufs - lufs)).toBeLessThanOrEqual(0.5);
    // A steady sine: no range; a mono sine's peak is 3 dB above its loudness at 1 kHz.
    expect(loudness.rangeLu).toBeLessThanOrEqual(0.5);
    expect(Math.abs(loudness.truePeakDbtp - (lufs + 3))).toBeLessThanOrEqual(0.5);
    expect({ cueIn, cueOut }).toEqual({ cueIn: null, cueOut: null });
  });

  it.each(['wav', 'mp3'])('finds 3 s of silence at each end (%s)', async (extension) => {
    const file = join(dir, `silent-ends.${extension}`);
    await makeMeasuredTone(file, { lufs: -18, seconds: 6, leadingSilence: 3, trailingSilence: 3 });
    const outcome = await measure(file, 12);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(Math.abs(outcome.measurement.cueIn! - 3)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(outcome.measurement.cueOut! - 9)).toBeLessThanOrEqual(0.1);
    // The silence around the tone does not count in its loudness (EBU R128's gate); MP3's smearing of the tone's
    // abrupt edges adds about half an LU of its own.
    expect(Math.abs(outcome.measurement.loudness.integratedLufs + 18)).toBeLessThanOrEqual(extension === 'wav' ? 0.5 : 1);
  });

  it('detects silence below the threshold it is given: a -48 dBFS tone is silence at -40 dBFS, not at -60', async () => {
    const file = join(dir, 'quiet-intro.wav');
    // A tone peaking at about -48 dBFS (-51 LUFS): below -40, above -60.
    await makeMeasuredTone(file, { lufs: -51, seconds: 2 });
    const outcomeAt40 = await measure(file, 2, -40);
    expect(outcomeAt40).toEqual({ ok: false, code: 'silent' });
    const outcomeAt60 = await measure(file, 2, -60);
    expect(outcomeAt60).toMatchObject({ ok: true, measurement: { cueIn: null, cueOut: null } });
  });

  it('fails a silent file cleanly, and a file that is not audio with a stable code', async () => {
    const silent = join(dir, 'silent.wav');
    // A tone at -200 LUFS is digital silence.
    await makeMeasuredTone(silent, { lufs: -200, seconds: 4 });
    expect(await measure(silent, 4)).toEqual({ ok: false, code: 'silent' });

    const text = join(dir, 'notes.mp3');
    await writeFile(text, 'not audio at all');
    const error = await repository.analyse(text, analysisFilter(-50), 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioAnalysisError);
    expect(error).toMatchObject({ code: 'unreadable' });
  });

  it('is killed past its timeout (code timeout)', async () => {
    const file = join(dir, 'long.wav');
    await makeMeasuredTone(file, { lufs: -20, seconds: 120 });
    await expect(repository.analyse(file, analysisFilter(-50), 20)).rejects.toMatchObject({ code: 'timeout' });
  });
});
