import { afterEach, describe, expect, it } from 'vitest';
import { processesInGroup } from '../env/host.js';
import { isPortFree } from '../env/ports.js';
import { waitUntil } from '../env/wait.js';
import { startWave, WaveServer } from '../env/wave-server.js';

/** SHUTDOWN_DEADLINE_MS of src/main.ts: after SIGTERM/SIGINT Wave is gone within this time. */
const SHUTDOWN_DEADLINE_MS = 10_000;

// A process manager or container runtime signals the process it started, which is npm; a terminal's Ctrl-C
// signals the whole foreground process group, and npm (and nest) forward a copy on top, which may reach Wave
// while it is closing. Either way Wave itself must get the signal and close, and nothing of the run may
// outlive npm: an orphaned Wave keeps its ports, and the next start fails.
const cases = [
  { script: 'start', signal: 'SIGTERM', to: 'npm' },
  { script: 'start', signal: 'SIGINT', to: 'npm' },
  { script: 'start', signal: 'SIGINT', to: 'the group' },
  // `nest start --watch` compiles first (10-20 s on 2 cores).
  { script: 'dev', signal: 'SIGTERM', to: 'npm' },
  { script: 'dev', signal: 'SIGINT', to: 'the group' },
] as const;

describe('npm scripts pass SIGTERM/SIGINT to Wave', () => {
  let wave: WaveServer | undefined;
  afterEach(async () => {
    await wave?.dispose();
    wave = undefined;
  });

  it.each(cases)('npm run $script, $signal to $to: Wave closes, its ports are free, no process is left', async ({ script, signal, to }) => {
    wave = await startWave({ command: ['npm', 'run', script], timeoutMs: script === 'dev' ? 90_000 : 30_000 });
    const { port, socketPort, process: npm } = wave;
    const group = npm.pid!;

    const wavePid = processesInGroup(group).find((p) => /dist\/main/.test(p.command))?.pid;
    expect(wavePid, 'a `node dist/main` process in the group').toBeDefined();

    const t0 = Date.now();
    process.kill(to === 'npm' ? npm.pid! : -group, signal);
    // Whether the forwarded copies arrive before or after Wave took the first one is up to the scheduler;
    // sending more until Wave is gone makes "after" certain.
    const copies = to === 'npm' ? undefined : setInterval(() => sendOrStop(wavePid!, signal, () => clearInterval(copies)), 5);
    try {
      await waitUntil(
        async () => (await isPortFree(port)) && (await isPortFree(socketPort)),
        SHUTDOWN_DEADLINE_MS,
        `ports ${port} and ${socketPort} to be free`,
      );
      await waitUntil(() => npm.exitCode !== null || npm.signalCode !== null, SHUTDOWN_DEADLINE_MS - (Date.now() - t0), 'npm to exit');
    } finally {
      clearInterval(copies);
    }

    expect(Date.now() - t0).toBeLessThan(SHUTDOWN_DEADLINE_MS);
    // Exit code 0 from npm means Wave ran its own shutdown and exited 0, not killed by a second signal.
    expect({ code: npm.exitCode, signal: npm.signalCode }).toEqual({ code: 0, signal: null });
    expect(wave.output()).toContain(`${signal} received`);
    expect(processesInGroup(group)).toEqual([]);
  });
});

function sendOrStop(pid: number, signal: NodeJS.Signals, stop: () => void): void {
  try {
    process.kill(pid, signal);
  } catch {
    stop(); // gone (ESRCH)
  }
}
