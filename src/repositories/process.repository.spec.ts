import { describe, expect, it } from 'vitest';
import { ExecError, ProcessRepository } from './process.repository.js';

const processes = new ProcessRepository();
const node = (script: string) => ['-e', script];

describe('ProcessRepository.exec (Node itself as the child)', () => {
  it('ends a child that runs past its timeout, even one that ignores SIGTERM, and says it timed out', async () => {
    const started = performance.now();
    const error = (await processes
      .exec(process.execPath, node("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"), { timeoutMs: 300 })
      .catch((e: unknown) => e)) as ExecError;
    expect(error).toBeInstanceOf(ExecError);
    expect(error.timedOut).toBe(true);
    expect(error.message).toMatch(/did not finish within 0\.3 s/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a child that fails is not a timeout', async () => {
    const error = (await processes.exec(process.execPath, node('process.exit(3)')).catch((e: unknown) => e)) as ExecError;
    expect(error).toMatchObject({ code: 3, timedOut: false });
    const flood = (await processes
      .exec(process.execPath, node("process.stdout.write('x'.repeat(4096))"), { maxBuffer: 100 })
      .catch((e: unknown) => e)) as ExecError;
    expect(flood.timedOut).toBe(false);
  });
});
