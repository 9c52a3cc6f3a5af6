import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ExecOptions, ExecResult, ManagedProcess, ProcessRepository } from '../../src/repositories/process.repository.js';

/** A child process the test drives: write its stdout/stderr, read its stdin, make it exit. */
export class FakeProcess extends EventEmitter implements ManagedProcess {
  readonly pid = Math.floor(Math.random() * 1e6);
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** fd 3, for a process started with spawnWithOutput. */
  readonly output = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly killedWith: NodeJS.Signals[] = [];
  private readonly received: Buffer[] = [];

  constructor(
    readonly command: string,
    readonly args: string[],
  ) {
    super();
    this.stdin.on('data', (d: Buffer) => this.received.push(d));
  }

  /** Everything written to stdin so far. */
  get stdinBytes(): Buffer {
    return Buffer.concat(this.received);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.killedWith.push(signal);
    if (this.exitCode === null && this.signalCode === null) setImmediate(() => this.exit(null, signal));
    return true;
  }

  /** Ends stdout and exits, as a process that finished. */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.stdout.end();
    this.stderr.end();
    this.output.end();
    this.emit('exit', code, signal);
  }
}

/** ProcessRepository double: records every spawn and exec; `onSpawn` / `onExec` let a test script them. */
export class FakeProcessRepository implements ProcessRepository {
  readonly spawned: FakeProcess[] = [];
  onSpawn: (process: FakeProcess) => void = () => undefined;
  /** Every exec, in order, with its options. */
  readonly execs: Array<{ command: string; args: string[]; options: ExecOptions }> = [];
  /** What exec answers: `execResult` unless set. */
  onExec: ((command: string, args: readonly string[], options: ExecOptions) => Promise<ExecResult>) | null = null;
  execResult: ExecResult = { stdout: '', stderr: '' };

  spawn(command: string, args: readonly string[]): FakeProcess {
    const child = new FakeProcess(command, [...args]);
    this.spawned.push(child);
    this.onSpawn(child);
    return child;
  }

  spawnWithOutput(command: string, args: readonly string[]): FakeProcess {
    return this.spawn(command, args);
  }

  exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.execs.push({ command, args: [...args], options });
    return this.onExec ? this.onExec(command, args, options) : Promise.resolve(this.execResult);
  }

  terminate(child: ManagedProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
