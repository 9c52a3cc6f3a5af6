import { afterEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { WaveError } from '../common/wave-error.js';
import { ExecError, type ExecResult } from '../repositories/process.repository.js';
import { MediaProbeService, PROBE_TIMEOUT_MS } from './media-probe.service.js';

describe('MediaProbeService', () => {
  let ctx: TestService<MediaProbeService>;
  afterEach(() => ctx.close());

  /** ffprobe as the probe sees it: each call answers with what `next` says. */
  async function probeWith(next: () => Promise<ExecResult>) {
    ctx = await newTestService(MediaProbeService);
    ctx.fakes.process.onExec = () => next();
    return { probe: ctx.sut };
  }

  it('bounds every ffprobe run, and one that did not finish is 504 probe_timeout, not "no audio"', async () => {
    const { probe } = await probeWith(() => Promise.reject(new ExecError('ffprobe did not finish within 10 s', null, '', '', true)));
    const error = (await probe.probeAudio('/music/fifo.mp3').catch((e: unknown) => e)) as WaveError;
    expect(error).toBeInstanceOf(WaveError);
    expect({ status: error.getStatus(), code: error.code }).toEqual({ status: 504, code: 'probe_timeout' });
    expect(await probe.isImage('/covers/fifo.png').catch((e: unknown) => (e as WaveError).code)).toBe('probe_timeout');
    expect(ctx.fakes.process.execs.every((c) => c.options.timeoutMs === PROBE_TIMEOUT_MS)).toBe(true);
    expect(PROBE_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
  });

  it('a file ffprobe reads no media in is null (415 for the caller)', async () => {
    const { probe } = await probeWith(() => Promise.reject(new ExecError('ffprobe failed: Invalid data found', 1, '', 'Invalid data')));
    expect(await probe.probeAudio('/music/notes.txt')).toBeNull();
    expect(await probe.isImage('/music/notes.txt')).toBe(false);
  });
});
