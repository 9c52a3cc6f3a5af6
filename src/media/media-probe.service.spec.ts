import { describe, expect, it } from 'vitest';
import { WaveError } from '../common/wave-error.js';
import { ExecError, ProcessRepository } from '../repositories/process.repository.js';
import { MediaProbeService, PROBE_TIMEOUT_MS } from './media-probe.service.js';

/** ffprobe as the probe sees it: each call answers with what `next` says. */
function probeWith(next: () => Promise<{ stdout: string; stderr: string }>) {
  const calls: Array<{ timeoutMs?: number }> = [];
  const processes = {
    exec: (_command: string, _args: string[], options: { timeoutMs?: number }) => {
      calls.push(options);
      return next();
    },
  } as unknown as ProcessRepository;
  return { probe: new MediaProbeService(processes), calls };
}

describe('MediaProbeService', () => {
  it('bounds every ffprobe run, and one that did not finish is 504 probe_timeout, not "no audio"', async () => {
    const { probe, calls } = probeWith(() => Promise.reject(new ExecError('ffprobe did not finish within 10 s', null, '', '', true)));
    const error = (await probe.probeAudio('/music/fifo.mp3').catch((e: unknown) => e)) as WaveError;
    expect(error).toBeInstanceOf(WaveError);
    expect({ status: error.getStatus(), code: error.code }).toEqual({ status: 504, code: 'probe_timeout' });
    expect(await probe.isImage('/covers/fifo.png').catch((e: unknown) => (e as WaveError).code)).toBe('probe_timeout');
    expect(calls.every((c) => c.timeoutMs === PROBE_TIMEOUT_MS)).toBe(true);
    expect(PROBE_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
  });

  it('a file ffprobe reads no media in is null (415 for the caller)', async () => {
    const { probe } = probeWith(() => Promise.reject(new ExecError('ffprobe failed: Invalid data found', 1, '', 'Invalid data')));
    expect(await probe.probeAudio('/music/notes.txt')).toBeNull();
    expect(await probe.isImage('/music/notes.txt')).toBe(false);
  });
});
