import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerSecret } from '../common/redaction.js';
import { newTestService, type TestService } from '../../test/factory.js';
import { LogFiles, MAX_TAIL_LINES } from './log-files.service.js';

describe('LogFiles', () => {
  let dir: string;
  let files: LogFiles;

  let ctx: TestService<LogFiles>;

  beforeEach(async () => {
    ctx = await newTestService(LogFiles);
    files = ctx.sut;
    dir = ctx.config.logDir;
    await mkdir(dir, { recursive: true });
  });
  afterEach(() => ctx.close());

  it('returns the last lines oldest first, bounded, redacted; none for a missing file', async () => {
    registerSecret('super-secret-stream-key');
    const lines = Array.from({ length: 1500 }, (_, i) => `{"n":${i}}`);
    lines[1499] = '{"url":"rtmp://host/live/super-secret-stream-key"}';
    await writeFile(join(dir, 'wave.log'), `${lines.join('\n')}\n`);
    expect(await files.tail('wave', 3)).toEqual(['{"n":1497}', '{"n":1498}', '{"url":"rtmp://host/live/****"}']);
    expect(await files.tail('wave', 5000)).toHaveLength(MAX_TAIL_LINES);
    expect(await files.tail('telegram', 10)).toEqual([]);
  });

  it('follows appended lines (not earlier ones) and starts over after truncation', async () => {
    const path = join(dir, 'telegram-stream.log');
    await writeFile(path, 'old line\n');
    const seen: string[] = [];
    const stop = files.follow('telegram', (line) => seen.push(line));
    // Appended at once: follow() has taken its starting point when it returns.
    await appendFile(path, 'first\nsecond part');
    await vi.waitFor(() => expect(seen).toEqual(['first']), { timeout: 2000 });
    await appendFile(path, ' done\n');
    await vi.waitFor(() => expect(seen).toEqual(['first', 'second part done']), { timeout: 2000 });
    await writeFile(path, 'after rotation\n');
    await vi.waitFor(() => expect(seen).toContain('after rotation'), { timeout: 2000 });
    stop();
  });
});
