import { Injectable } from '@nestjs/common';
import { execFile, spawn, SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** The parts of a child process Wave uses; a ChildProcess with piped stdio is one, and unit specs fake it. */
export interface ManagedProcess {
  readonly pid?: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** A child with a fourth pipe (fd 3) it writes to, e.g. ffmpeg's `pipe:3` output. */
export interface ManagedProcessWithOutput extends ManagedProcess {
  readonly output: Readable;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  maxBuffer?: number;
  cwd?: string;
}

export class ExecError extends Error {
  constructor(
    message: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
    /** Killed for running past its timeout: it did not fail, it did not finish. */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/**
 * The one wrapper around child_process (ffmpeg, ffprobe, …). Arguments are always passed as an array,
 * never through a shell. Usable with Nest (`@Injectable`) or plainly (`new ProcessRepository()`).
 */
@Injectable()
export class ProcessRepository {
  /** Starts `command` with piped stdin/stdout/stderr. */
  spawn(command: string, args: readonly string[], options: Pick<SpawnOptions, 'cwd' | 'env'> = {}): ManagedProcess {
    return spawn(command, [...args], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Like spawn, with the child's fd 3 piped to `output`: a second output stream besides stdout. */
  spawnWithOutput(command: string, args: readonly string[]): ManagedProcessWithOutput {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    return Object.assign(child, { output: child.stdio[3] as Readable });
  }

  /**
   * Runs `command` to completion; rejects with ExecError (exit code and output) when it fails or times out
   * (`timedOut`). Past the timeout it is killed with SIGKILL: a process stuck on a read (a FIFO, a hung
   * network mount) may never act on SIGTERM, and the caller's answer must not wait on it.
   */
  exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      execFile(
        command,
        [...args],
        { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024, cwd: options.cwd, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error) {
            const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
            // Node kills the child itself for the timeout and for output past maxBuffer (its own code).
            const timedOut = (error as { killed?: boolean }).killed === true && code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
            const message = timedOut
              ? `${command} did not finish within ${timeoutMs / 1000} s`
              : `${command} failed: ${error.message.split('\n')[0]}`;
            reject(new ExecError(message, code, stdout, stderr, timedOut));
          } else resolve({ stdout, stderr });
        },
      );
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  terminate(child: ManagedProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
