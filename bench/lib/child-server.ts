import { ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';

export interface ChildServer {
  process: ChildProcess;
  send(message: string): void;
  stop(): Promise<void>;
}

/** Forks one of bench/servers/*.mjs on `port` (with `env` added) and resolves once it says `ready`; its stdout is discarded. */
export async function forkServer(script: string, port: number, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = fork(resolve(import.meta.dirname, '../servers', script), [String(port)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((ready, fail) => {
    child.once('message', (message) => (message === 'ready' ? ready() : fail(new Error(`${script}: ${JSON.stringify(message)}`))));
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return {
    process: child,
    send: (message) => child.send(message),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
