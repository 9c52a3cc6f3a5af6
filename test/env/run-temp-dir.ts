import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Global setup of every tier, listed first: one temp directory for the whole run, made TMPDIR for the
 * workers and everything they spawn (Wave servers, daemons, ffmpeg), so whatever a test leaves behind
 * lands in one place. When the run ends, after every other teardown, anything still there is a leftover:
 * it is named, removed, and fails the run. The first project to set up owns the directory (all global
 * setups run before any test, their teardowns after the last, in reverse order).
 */
export default function setup(): (() => Promise<void>) | undefined {
  if (process.env.WAVE_TEST_RUN_TMPDIR) return undefined;
  // The host's temp dir stays known: the private dockerd is shared by runs and lives there.
  process.env.WAVE_TEST_HOST_TMPDIR = tmpdir();
  const runDir = mkdtempSync(join(tmpdir(), 'wave-run-'));
  process.env.WAVE_TEST_RUN_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
  return async () => {
    const left = await readdir(runDir).catch(() => [] as string[]);
    await rm(runDir, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`tests left ${left.length} temp entries behind (removed now): ${left.sort().join(', ')}`);
    }
  };
}
