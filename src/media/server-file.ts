import { isAbsolute, relative, resolve, sep } from 'node:path';
import { WaveError } from '../common/wave-error.js';
import type { StorageRepository } from '../repositories/storage.repository.js';

/** Folders a file named by path (a track, the cover) may not come from: they hold the system, not media. */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev', '/etc', '/boot', '/run'];

export interface ServerFileRule {
  /** The request field named in errors, e.g. `path` or `coverImage`. */
  field: string;
  /** The error code of the 400. */
  code: string;
  /** Where a relative path is resolved, and must stay. */
  baseDir: string;
  /** How `baseDir` is named in errors, e.g. `DATA_DIR/tracks`. */
  baseName: string;
}

/**
 * The real path of a readable regular file named by the operator: relative paths stay inside
 * `rule.baseDir`, absolute ones may not lead (even through a link) into the system folders; 400 otherwise.
 */
export function resolveServerFile(given: string, rule: ServerFileRule, storage: StorageRepository): Promise<string> {
  return resolveServerPath(given, rule, storage, 'file');
}

/**
 * The real path of a readable folder named by the operator (a folder to import), by the rules of resolveServerFile;
 * a folder holding the system folders (`/`) is refused too.
 */
export function resolveServerDirectory(given: string, rule: ServerFileRule, storage: StorageRepository): Promise<string> {
  return resolveServerPath(given, rule, storage, 'directory');
}

/** Whether `path` is one of the system folders or lies in one (a folder walk leaves them out). */
export function isSystemPath(path: string): boolean {
  return SYSTEM_DIRS.some((dir) => isInside(dir, path));
}

async function resolveServerPath(
  given: string,
  rule: ServerFileRule,
  storage: StorageRepository,
  kind: 'file' | 'directory',
): Promise<string> {
  const bad = (message: string) => new WaveError(400, rule.code, message);
  if (given.includes('\0')) throw bad(`${rule.field} must not contain NUL characters`);
  const candidate = isAbsolute(given) ? resolve(given) : resolve(rule.baseDir, given);
  if (!isAbsolute(given) && !isInside(rule.baseDir, candidate)) throw bad(`a relative ${rule.field} must stay inside ${rule.baseName}`);
  const real = await storage.realPath(candidate);
  if (real === null) throw bad(`${rule.field} ${given} does not exist`);
  if (isSystemPath(real)) throw bad(`${rule.field} ${given} is in a system folder`);
  if (kind === 'directory' && SYSTEM_DIRS.some((dir) => isInside(real, dir))) throw bad(`${rule.field} ${given} holds the system folders`);
  const info = await storage.stat(real);
  if (info === null) throw bad(`${rule.field} ${given} does not exist`);
  if (kind === 'file' && !info.isFile) throw bad(`${rule.field} ${given} is not a regular file`);
  if (kind === 'directory' && !info.isDirectory) throw bad(`${rule.field} ${given} is not a folder`);
  if (!(await storage.isReadable(real))) throw bad(`${rule.field} ${given} is not readable by Wave`);
  return real;
}

export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}
