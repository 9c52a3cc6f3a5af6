import { Logger } from '@nestjs/common';
import { WinstonModule } from 'nest-winston';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWaveLogger, flushLogger } from './logger.js';

let logDir: string | undefined;

afterEach(async () => {
  if (logDir) await rm(logDir, { recursive: true, force: true });
  logDir = undefined;
});

/** Logs through a Nest Logger backed by createWaveLogger (as main.ts wires it) and returns wave.log's JSON lines. */
async function logThroughNest(write: (logger: Logger) => void): Promise<Array<Record<string, unknown>>> {
  logDir = await mkdtemp(join(tmpdir(), 'wave-logger-'));
  const winston = createWaveLogger({ logDir, level: 'info', production: true });
  // The console transport is not under test here; the file gets the same entries.
  winston.transports.find((t) => t.constructor.name === 'Console')!.silent = true;
  Logger.overrideLogger(WinstonModule.createLogger({ instance: winston }));
  try {
    write(new Logger('Spec'));
  } finally {
    Logger.overrideLogger(false);
  }
  await flushLogger(winston);
  return (await readFile(join(logDir, 'wave.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createWaveLogger', () => {
  it('writes no stack for an error logged with a message only', async () => {
    const [line] = await logThroughNest((logger) => logger.error('publish callback failed'));
    expect(line).toMatchObject({ level: 'error', message: 'publish callback failed', context: 'Spec' });
    expect(line).not.toHaveProperty('stack');
  });

  it('writes no stack for an object message without a trace, and keeps its error', async () => {
    const [line] = await logThroughNest((logger) => logger.error({ message: 'GET /x failed', requestId: 'r-1', error: new Error('boom') }));
    expect(line).toMatchObject({ level: 'error', message: 'GET /x failed', requestId: 'r-1' });
    expect(line.error).toEqual(expect.stringContaining('Error: boom'));
    expect(line).not.toHaveProperty('stack');
  });

  it("writes Nest's trace argument as one stack string", async () => {
    const error = new Error('disk gone');
    const [line] = await logThroughNest((logger) => logger.error('could not save', error.stack));
    expect(line).toMatchObject({ level: 'error', message: 'could not save', context: 'Spec' });
    expect(line.stack).toBe(error.stack);
  });

  it('writes the stack of an Error logged as the message', async () => {
    const error = new Error('pm2 went away');
    const [line] = await logThroughNest((logger) => logger.error(error));
    expect(line).toMatchObject({ level: 'error', message: 'pm2 went away' });
    expect(line.stack).toBe(error.stack);
  });
});
