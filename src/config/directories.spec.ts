import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppConfig } from './app-config.js';
import { prepareDirectories } from './directories.js';
import { InvalidEnvironmentError, validateEnvironment } from './env.validation.js';

describe('prepareDirectories', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-dirs-'));
    file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function prepare(env: Record<string, string>): void {
    const given = { DATA_DIR: join(dir, 'data'), LOG_DIR: join(dir, 'logs'), PM2_HOME: join(dir, 'pm2'), ...env };
    prepareDirectories(new AppConfig(validateEnvironment(given)), given);
  }

  it('makes DATA_DIR and LOG_DIR, and leaves a missing PM2_HOME to PM2', () => {
    prepare({ DATA_DIR: join(dir, 'deep/data'), LOG_DIR: join(dir, 'deep/logs') });
    expect(existsSync(join(dir, 'deep/data'))).toBe(true);
    expect(existsSync(join(dir, 'deep/logs'))).toBe(true);
    expect(existsSync(join(dir, 'pm2'))).toBe(false);
  });

  it.each(['DATA_DIR', 'LOG_DIR', 'PM2_HOME'])('names %s when it is a file', (variable) => {
    expect(() => prepare({ [variable]: file })).toThrow(InvalidEnvironmentError);
    expect(() => prepare({ [variable]: file })).toThrow(new RegExp(`^${variable}: ${file} is a file, not a directory$`));
  });

  it.each(['DATA_DIR', 'LOG_DIR', 'PM2_HOME'])('names %s when it lies under a file', (variable) => {
    expect(() => prepare({ [variable]: join(file, 'sub') })).toThrow(
      new RegExp(`^${variable}: ${file}/sub lies under a file, not a directory$`),
    );
  });

  it('says every bad variable, one line each', async () => {
    await mkdir(join(dir, 'ok'));
    expect(() => prepare({ DATA_DIR: file, LOG_DIR: join(dir, 'ok'), PM2_HOME: file })).toThrow(
      `DATA_DIR: ${file} is a file, not a directory\nPM2_HOME: ${file} is a file, not a directory`,
    );
  });
});
