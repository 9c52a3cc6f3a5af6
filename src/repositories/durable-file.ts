import { dirname } from 'node:path';

/** The part of an open file the durable write uses (node's FileHandle has it). */
export interface WritableFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** The file-system calls of a durable write: StorageRepository's (node's), or one that fails on purpose (unit specs). */
export interface DurableFileSystem {
  open(path: string, flags: string, mode?: number): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** A write that stopped short without the file system saying why (seen as a 0-byte write, or a smaller file after fsync). */
export class ShortWriteError extends Error {
  readonly code = 'ESHORTWRITE';
  constructor(
    readonly written: number,
    readonly expected: number,
  ) {
    super(`only ${written} of ${expected} bytes reached the disk`);
  }
}

let writes = 0;

/**
 * `<file>.tmp-<pid>-<n>`: the pid says which process wrote it, so a booting Wave removes only the
 * temp files of processes that are gone (see isOrphanedTempFile).
 */
function tempPathOf(path: string): string {
  return `${path}.tmp-${process.pid}-${++writes}`;
}

const OUR_TEMP = /^\.tmp-(\d+)-\d+$/;
/** write-file-atomic, which Wave used before, named its temp files `<file>.<uint32>`. */
const LEGACY_TEMP = /^\.\d+$/;

/**
 * Whether `entry` (a name in the document's directory) is the temp file of an interrupted write of
 * `file`: one of a process that is no longer running, or one of this very process (callers ask while
 * holding the document's lock, so none of its own writes is in flight), or one written by the
 * library Wave used before.
 */
export function isOrphanedTempFile(file: string, entry: string, isRunning: (pid: number) => boolean = processIsRunning): boolean {
  if (!entry.startsWith(file)) return false;
  const rest = entry.slice(file.length);
  if (LEGACY_TEMP.test(rest)) return true;
  const ours = OUR_TEMP.exec(rest);
  if (!ours) return false;
  const pid = Number(ours[1]);
  return pid === process.pid || !isRunning(pid);
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Replaces `path` with `data` so that it is either fully on disk or not changed at all: the bytes go
 * to a temp file beside it, every byte accounted for (a single write(2) may store fewer than asked,
 * as on a nearly full disk, and a library that writes once and ignores the count renames a fragment
 * into place), fsync'd, its size checked, then renamed over `path`, and the directory fsync'd so the
 * rename survives a crash. Any failure removes the temp file and rethrows, leaving `path` as it was.
 */
export async function writeFileDurably(path: string, data: Buffer, options: { mode: number }, fs: DurableFileSystem): Promise<void> {
  const temp = tempPathOf(path);
  let file: WritableFile | undefined;
  try {
    file = await fs.open(temp, 'wx', options.mode);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await file.write(data, offset, data.length - offset, offset);
      // The kernel answers a full disk with ENOSPC on the next call; 0 bytes without an error would loop forever.
      if (bytesWritten <= 0) throw new ShortWriteError(offset, data.length);
      offset += bytesWritten;
    }
    await file.sync();
    const { size } = await file.stat();
    if (size !== data.length) throw new ShortWriteError(size, data.length);
    const closing = file;
    file = undefined;
    await closing.close();
    await fs.rename(temp, path);
  } catch (error) {
    await file?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  // A failure here is reported although the new content is in place: the caller was not told it is saved, and
  // nothing acknowledged is lost.
  await syncDirectory(dirname(path), fs);
}

/** fsync of a directory makes a rename in it durable; file systems that cannot (EINVAL, or no directory handles) get what they offer. */
async function syncDirectory(dir: string, fs: DurableFileSystem): Promise<void> {
  let handle: WritableFile | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle?.close();
  }
}
