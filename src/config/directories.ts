import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { AppConfig } from './app-config.js';
import { InvalidEnvironmentError } from './env.validation.js';

interface Directory {
  variable: string;
  path: string;
  /** Shown after the path when the variable is unset (the default the path came from). */
  origin?: string;
  /** Wave makes it when missing (PM2 makes its own home when it first starts its daemon). */
  create: boolean;
}

/**
 * DATA_DIR and LOG_DIR (made when missing) and PM2_HOME must be directories. Checked before anything
 * opens a file in them, so a path that is a file, or lies under one, stops Wave with one line naming
 * the variable instead of a stack trace from whichever module touched it first. Throws
 * InvalidEnvironmentError with one line per bad variable.
 */
export function prepareDirectories(config: AppConfig, env: Record<string, string | undefined>): void {
  const dirs: Directory[] = [
    { variable: 'DATA_DIR', path: config.dataDir, create: true },
    { variable: 'LOG_DIR', path: config.logDir, create: true },
    env.PM2_HOME
      ? { variable: 'PM2_HOME', path: resolve(env.PM2_HOME), create: false }
      : { variable: 'PM2_HOME', path: resolve(homedir(), '.pm2'), origin: "PM2's default; PM2_HOME is unset", create: false },
  ];
  const lines = dirs.map(problemWith).filter((line): line is string => line !== null);
  if (lines.length > 0) throw new InvalidEnvironmentError(lines.join('\n'));
}

function problemWith({ variable, path, origin, create }: Directory): string | null {
  const where = `${variable}: ${path}${origin ? ` (${origin})` : ''}`;
  try {
    if (create) mkdirSync(path, { recursive: true });
    if (!statSync(path).isDirectory()) return `${where} is a file, not a directory`;
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    switch (code) {
      case 'ENOENT':
        return null; // PM2_HOME not made yet: PM2 makes it
      case 'EEXIST':
        return `${where} is a file, not a directory`;
      case 'ENOTDIR':
        return `${where} lies under a file, not a directory`;
      case 'EACCES':
      case 'EPERM':
        return `${where} cannot be ${create ? 'created' : 'read'}: permission denied (${code})`;
      case undefined: // not a system error: its message says what went wrong
      default:
        return `${where} cannot be used: ${(error as Error).message}`;
    }
  }
}
