import { ChildProcess, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);

/** What ffmpeg's ebur128 filter measured (its summary). */
export interface MeasuredLoudness {
  integratedLufs: number;
  truePeakDbtp: number;
}

/** Integrated loudness and true peak of a file, or of raw stereo s16le PCM at 44.1 kHz, by ffmpeg's ebur128. */
export async function measureLoudness(input: string | Buffer): Promise<MeasuredLoudness> {
  const source = typeof input === 'string' ? ['-i', input] : ['-f', 's16le', '-ar', '44100', '-ac', '2', '-i', 'pipe:0'];
  const child = spawn('ffmpeg', ['-hide_banner', '-nostats', '-nostdin', ...source, '-af', 'ebur128=peak=true', '-f', 'null', '-'], {
    stdio: [typeof input === 'string' ? 'ignore' : 'pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));
  if (typeof input !== 'string') child.stdin!.end(input);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ebur128 exited ${code}: ${stderr.slice(-500)}`))));
  });
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const integrated = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary);
  const peak = /True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary);
  if (!integrated || !peak) throw new Error(`no ebur128 summary in: ${summary}`);
  const value = (text: string) => (text === '-inf' ? -Infinity : Number(text));
  return { integratedLufs: value(integrated[1]), truePeakDbtp: value(peak[1]) };
}

export interface ToneTrack {
  hz: number;
  /** Integrated loudness it is made at (LUFS). */
  lufs: number;
  seconds: number;
  /** Digital silence before and after the tone (seconds). */
  leadingSilence?: number;
  trailingSilence?: number;
  /** Adds a 0.5 ms burst of 3 kHz every half second, this much above the tone's peak (dB): a track only a limiter can raise. */
  clicksDb?: number;
}

/**
 * A stereo MP3 of a sine at `lufs` (measured with ebur128 and corrected by the difference: within ~0.1 LU), with
 * optional silence around it.
 */
export async function makeToneTrack(path: string, track: ToneTrack): Promise<void> {
  const quiet = ['-hide_banner', '-loglevel', 'error', '-y'];
  const raw = `${path}.raw.wav`;
  const clicks = track.clicksDb ? `+${(0.1 * 10 ** (track.clicksDb / 20)).toFixed(4)}*lt(mod(t\\,0.5)\\,0.0005)*sin(2*PI*3000*t)` : '';
  const tone = `aevalsrc=0.1*sin(2*PI*${track.hz}*t)${clicks}:s=44100:d=${track.seconds}`;
  await run('ffmpeg', [...quiet, '-f', 'lavfi', '-i', tone, '-ac', '2', raw]);
  const { integratedLufs } = await measureLoudness(raw);
  const gain = (track.lufs - integratedLufs).toFixed(2);
  const lead = Math.round((track.leadingSilence ?? 0) * 1000);
  const filters = [`volume=${gain}dB`];
  if (lead > 0) filters.push(`adelay=${lead}|${lead}`);
  if (track.trailingSilence) filters.push(`apad=pad_dur=${track.trailingSilence}`);
  await run('ffmpeg', [...quiet, '-i', raw, '-af', filters.join(','), '-ac', '2', '-b:a', '192k', path]);
  await rm(raw, { force: true });
}

/** The issue's three loudnesses (distinct tones, 8 s each). */
export const ISSUE_TRACKS: ReadonlyArray<ToneTrack & { id: string }> = [
  { id: 'quiet', hz: 500, lufs: -30, seconds: 8 },
  { id: 'middle', hz: 1000, lufs: -20, seconds: 8 },
  { id: 'loud', hz: 1500, lufs: -8, seconds: 8 },
];
/** A 6 s tone inside 3 s of silence each side: its cues must leave the silence out (see expectSoundOnAir). */
export const PADDED_TRACK: ToneTrack & { id: string } = {
  id: 'padded',
  hz: 2000,
  lufs: -16,
  seconds: 6,
  leadingSilence: 3,
  trailingSilence: 3,
};

/** A chunk of what the recorder heard, with when it arrived (wall clock). */
interface Arrival {
  at: number;
  /** Frame index of its first frame in the recording. */
  frame: number;
}

/**
 * A listener on the ingest (the low-latency flags from DESIGN.md) that keeps everything it hears as stereo s16le at
 * 44.1 kHz, so a test can measure the loudness of what went on the air and find the tones in it.
 */
export class PcmRecorder {
  static readonly RATE = 44100;
  private readonly chunks: Buffer[] = [];
  private readonly arrivals: Arrival[] = [];
  private bytes = 0;
  private readonly child: ChildProcess;

  constructor(url: string) {
    this.child = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer', '-probesize', '32768', '-analyzeduration', '0'],
        ...['-rw_timeout', '5000000', '-i', url, '-vn', '-f', 's16le', '-ar', String(PcmRecorder.RATE), '-ac', '2'],
        ...['-flush_packets', '1', 'pipe:1'],
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.child.stdout!.on('data', (data: Buffer) => {
      this.arrivals.push({ at: Date.now(), frame: Math.floor(this.bytes / 4) });
      this.chunks.push(data);
      this.bytes += data.length;
    });
  }

  /** Seconds recorded. */
  get seconds(): number {
    return this.bytes / 4 / PcmRecorder.RATE;
  }

  /** The recording from second `from` to second `to` (stereo s16le). */
  pcm(from = 0, to = this.seconds): Buffer {
    const all = Buffer.concat(this.chunks, this.bytes);
    const start = Math.max(0, Math.floor(from * PcmRecorder.RATE)) * 4;
    const end = Math.min(this.bytes, Math.floor(to * PcmRecorder.RATE) * 4);
    return all.subarray(start, Math.max(start, end));
  }

  /** When the audio at second `at` of the recording arrived (wall clock ms, to the chunk). */
  arrivalOf(at: number): number {
    const frame = at * PcmRecorder.RATE;
    let found = this.arrivals[0]?.at ?? 0;
    for (const arrival of this.arrivals) {
      if (arrival.frame > frame) break;
      found = arrival.at;
    }
    return found;
  }

  stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** One window of a recording: the level of each tone asked for (RMS share of full scale, Goertzel on the left channel). */
export interface ToneLevels {
  /** Seconds into the recording. */
  at: number;
  /** RMS of the window (share of full scale). */
  rms: number;
  levels: Record<number, number>;
}

/** The recording cut in `windowMs` windows, each with the level of every tone in `tones` (Hz). */
export function toneLevels(pcm: Buffer, tones: readonly number[], windowMs = 50): ToneLevels[] {
  const size = Math.floor((PcmRecorder.RATE * windowMs) / 1000);
  const windows: ToneLevels[] = [];
  for (let start = 0; (start + size) * 4 <= pcm.length; start += size) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += pcm.readInt16LE((start + i) * 4) ** 2;
    const levels: Record<number, number> = {};
    for (const hz of tones) levels[hz] = goertzel(pcm, start, size, hz);
    windows.push({ at: start / PcmRecorder.RATE, rms: Math.sqrt(sum / size) / 32768, levels });
  }
  return windows;
}

/** The amplitude of `hz` in a window of the left channel, as RMS share of full scale. */
function goertzel(pcm: Buffer, start: number, size: number, hz: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / PcmRecorder.RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < size; i++) {
    const s = pcm.readInt16LE((start + i) * 4) / 32768 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return Math.sqrt(power) / size / Math.SQRT1_2;
}

/** Runs of windows where `test` holds, as [from, to] seconds. */
export function spans(windows: readonly ToneLevels[], test: (w: ToneLevels) => boolean, windowMs = 50): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const w of windows) {
    if (!test(w)) continue;
    const last = out.at(-1);
    if (last && Math.abs(last[1] - w.at) < 1e-6) last[1] = w.at + windowMs / 1000;
    else out.push([w.at, w.at + windowMs / 1000]);
  }
  return out;
}

/** What a recording says of the sound on the air: see analyseOnAir. */
export interface OnAirSound {
  /** Per track: its loudness heard alone (its crossfades left out), and how long its tone was on the air. */
  tracks: Array<{ id: string; integratedLufs: number; truePeakDbtp: number; heardSec: number }>;
  /** Seconds both tones of neighbours (in the order given) were above `presentRms` at once. */
  overlaps: number[];
  /** The longest silence (RMS under 0.005) after the first half second, in seconds. */
  longestSilenceSec: number;
}

/**
 * Finds each track in a recording by its tone (its last whole run on the air: the recorder may have joined during the
 * first), measures what was heard of it alone with ebur128, and how neighbours (in `tracks`' order) overlapped.
 */
export async function analyseOnAir(
  recorder: PcmRecorder,
  tracks: ReadonlyArray<{ id: string; hz: number }>,
  presentRms = 0.02,
): Promise<OnAirSound> {
  const tones = tracks.map((t) => t.hz);
  const windows = toneLevels(recorder.pcm(), tones);
  const measured: OnAirSound['tracks'] = [];
  for (const track of tracks) {
    const run = spans(windows, (w) => w.levels[track.hz] > presentRms)
      .filter(([from, to]) => from > 0.5 && to - from > 2)
      .at(-1);
    if (!run) throw new Error(`${track.id} (${track.hz} Hz) was not heard whole`);
    const alone = spans(
      windows,
      (w) => w.at >= run[0] && w.at < run[1] && tones.every((hz) => hz === track.hz || w.levels[hz] <= presentRms),
    ).sort((a, b) => b[1] - b[0] - (a[1] - a[0]))[0];
    const loudness = await measureLoudness(recorder.pcm(alone[0] + 0.2, alone[1] - 0.2));
    measured.push({ id: track.id, ...loudness, heardSec: run[1] - run[0] });
  }
  const overlaps = tracks.slice(1).map((track, i) => {
    const previous = tracks[i].hz;
    const both = spans(windows, (w) => w.levels[previous] > presentRms && w.levels[track.hz] > presentRms);
    return Math.max(0, ...both.map(([from, to]) => to - from));
  });
  const silences = spans(windows, (w) => w.rms < 0.005).filter(([from]) => from > 0.5);
  return { tracks: measured, overlaps, longestSilenceSec: Math.max(0, ...silences.map(([from, to]) => to - from)) };
}

/** One line of figures for the test's output. */
export function describeOnAir(sound: OnAirSound, made: ReadonlyArray<{ id: string; lufs: number }>): string {
  const tracks = sound.tracks.map((t) => {
    const lufs = made.find((m) => m.id === t.id)?.lufs;
    return `${t.id} (made at ${lufs} LUFS): ${t.integratedLufs} LUFS, true peak ${t.truePeakDbtp} dBTP, ${t.heardSec.toFixed(2)} s heard`;
  });
  return (
    `${tracks.join('; ')}; overlaps ${sound.overlaps.map((s) => `${s.toFixed(2)} s`).join(', ')}; ` +
    `longest silence ${(sound.longestSilenceSec * 1000).toFixed(0)} ms`
  );
}

/**
 * What the issue asks of the sound on the air: every track within 1 LU of `target`, true peak at most -1 dBTP;
 * neighbours overlapping for about the crossfade (each tone is under the presence level near its own end of the fade);
 * no silence of 200 ms; and PADDED_TRACK heard for its tone only.
 */
export function expectSoundOnAir(sound: OnAirSound, target: number, crossfadeSec: number): void {
  for (const track of sound.tracks) {
    expect(Math.abs(track.integratedLufs - target), `${track.id}: ${track.integratedLufs} LUFS`).toBeLessThanOrEqual(1);
    expect(track.truePeakDbtp, `${track.id} true peak`).toBeLessThanOrEqual(-1);
  }
  for (const overlap of sound.overlaps) {
    expect(overlap).toBeGreaterThanOrEqual(1.2);
    expect(overlap).toBeLessThanOrEqual(crossfadeSec + 0.3);
  }
  expect(sound.longestSilenceSec).toBeLessThan(0.2);
  expect(sound.tracks.find((t) => t.id === PADDED_TRACK.id)!.heardSec).toBeLessThan(PADDED_TRACK.seconds + 1);
}
