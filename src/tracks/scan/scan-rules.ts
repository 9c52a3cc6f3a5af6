import type { DirEntryKind, FileInfo } from '../../repositories/storage.repository.js';
import type { FileStamp } from '../../repositories/track.repository.js';
import { isInside, isSystemPath } from '../../media/server-file.js';

/**
 * The decisions of a folder scan, as pure functions (LibraryScanService does the reading and writing): what to do
 * with a folder entry, with what a link leads to, and with a file the library may already have.
 */

/** Why a scan leaves an entry out (the `reason` of `skippedFiles`). */
export const SKIP_REASONS = {
  hidden: "hidden (its name starts with '.')",
  notAudio: 'not audio (ffprobe)',
  notRegular: 'not a regular file (a FIFO, socket or device)',
  systemFolder: 'a system folder',
  folderLink: 'a link to a folder (links to folders are not followed)',
  brokenLink: 'a broken link',
  linkIntoFolder: 'a link to a file in the scanned folder (imported under its own name)',
  linkIntoSystem: 'a link into a system folder',
  linkSeen: 'a link to a file already imported through another link',
} as const;

export type EntryDecision =
  | { kind: 'descend' }
  | { kind: 'file' }
  /** Resolve the link, then decideLink. */
  | { kind: 'link' }
  | { kind: 'skip'; reason: string };

/**
 * A folder entry: hidden names (`.` first: `.git`, `.DS_Store`, Wave's own `.incoming-*`) are left out with what
 * they hold; folders are walked unless they are system folders; links are resolved; anything else that is not a
 * regular file is left out (a FIFO would hold ffprobe until its timeout). Nothing is judged by its extension:
 * ffprobe judges the files by their content.
 */
export function decideEntry(name: string, kind: DirEntryKind, path: string): EntryDecision {
  if (name.startsWith('.')) return { kind: 'skip', reason: SKIP_REASONS.hidden };
  switch (kind) {
    case 'directory':
      return isSystemPath(path) ? { kind: 'skip', reason: SKIP_REASONS.systemFolder } : { kind: 'descend' };
    case 'file':
      return { kind: 'file' };
    case 'symlink':
      return { kind: 'link' };
    case 'other':
      return { kind: 'skip', reason: SKIP_REASONS.notRegular };
  }
}

/**
 * A link, given its real path (null: broken) and what is there: a file outside the scanned folder is imported under
 * its real path (once per scan); a link to a folder is never followed (no walk out of the tree, no loop); a link to a
 * file inside the folder is left to the walk, which meets the file itself.
 */
export function decideLink(
  real: string | null,
  info: Pick<FileInfo, 'isFile' | 'isDirectory'> | null,
  root: string,
  seenTargets: ReadonlySet<string>,
): { kind: 'file'; file: string } | { kind: 'skip'; reason: string } {
  if (real === null || info === null) return { kind: 'skip', reason: SKIP_REASONS.brokenLink };
  if (isSystemPath(real)) return { kind: 'skip', reason: SKIP_REASONS.linkIntoSystem };
  if (info.isDirectory) return { kind: 'skip', reason: SKIP_REASONS.folderLink };
  if (!info.isFile) return { kind: 'skip', reason: SKIP_REASONS.notRegular };
  if (isInside(root, real)) return { kind: 'skip', reason: SKIP_REASONS.linkIntoFolder };
  if (seenTargets.has(real)) return { kind: 'skip', reason: SKIP_REASONS.linkSeen };
  return { kind: 'file', file: real };
}

/**
 * A file against what the library stored of it (by path):
 * - `new`: no track has this path — probe it and append it;
 * - `unchanged`: same size and modification time — nothing to read;
 * - `changed`: either differs — probe it again and refresh the track's tags (id, labels, position stay);
 * - `stamp`: the track was stored without a stamp (imported from `audio-tracks.json`): nothing says the file
 *   changed since, so its metadata (maybe edited by the operator) stays and only the stamp is recorded.
 */
export type FileDecision = 'new' | 'unchanged' | 'changed' | 'stamp';

export function decideFile(stored: FileStamp | undefined, found: { size: number; mtimeMs: number }): FileDecision {
  if (stored === undefined) return 'new';
  if (stored.fileSize === null || stored.fileMtimeMs === null) return 'stamp';
  return stored.fileSize === found.size && stored.fileMtimeMs === found.mtimeMs ? 'unchanged' : 'changed';
}
