import { Injectable } from '@nestjs/common';
import { constants, createWriteStream, statSync } from 'node:fs';
import { access, mkdir, open, readdir, readFile, realpath, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type DurableFileSystem, type WritableFile, writeFileDurably } from './durable-file.js';

/** What Wave asks of a file's metadata. */
export interface FileInfo {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
  /** A regular file (not a directory, device, socket or FIFO). */
  isFile: boolean;
  /** The inode: a durable write renames a new file into place, so another process's write changes it (mtimes are coarse). */
  ino?: number;
}

/** What a folder entry is, as the folder itself says (a link is not followed to tell). */
export type DirEntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of a folder: its name (no path) and kind (`other`: a FIFO, socket or device). */
export interface DirEntry {
  name: string;
  kind: DirEntryKind;
}

/** The disk holding a path, in bytes. */
export interface DiskUsage {
  totalBytes: number;
  freeBytes: number;
  usedBytes: number;
}

/** A file open for reading at positions (a log tail reads backwards from its end). */
export interface ReadableFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * The one wrapper around the file system (node:fs) for services: the data documents, the RTMP ingest key,
 * the data dir's health probe, the disk's usage, the log files, track uploads, now playing, the files an
 * operator names by path (a track, the cover). Durable writes are writeFileDurably's
 * (temp file, every byte counted, fsync, rename, directory fsync), through this repository's own open,
 * rename and unlink, so a spec can make any step of one fail. Node's errors pass through as they are
 * (`code` ENOENT, ENOSPC, …): callers decide what each means for them (DocumentStore maps a full disk to
 * 507 insufficient_storage).
 */
@Injectable()
export class StorageRepository implements DurableFileSystem {
  /** The file's text (UTF-8); rejects with ENOENT when it does not exist. */
  readText(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }

  /**
   * The file's text with the size, mtime and inode of the very file read (one handle): a stat after the read may
   * see another process's file renamed into place meanwhile. Rejects with ENOENT when it does not exist.
   */
  async readTextWithInfo(path: string): Promise<{ text: string; info: FileInfo }> {
    const file = await open(path, 'r');
    try {
      const info = await file.stat();
      const text = await file.readFile('utf8');
      return {
        text,
        info: { size: info.size, mtimeMs: info.mtimeMs, isDirectory: info.isDirectory(), isFile: info.isFile(), ino: info.ino },
      };
    } finally {
      await file.close();
    }
  }

  /** Replaces `path` with `data`, fully on disk or not changed at all (see writeFileDurably). */
  writeDurably(path: string, data: Buffer, mode: number): Promise<void> {
    return writeFileDurably(path, data, { mode }, this);
  }

  /**
   * Replaces `path` with `text` as one write (temp file and rename are the caller's), without fsync: for
   * runtime state a crash may lose; a record goes through writeDurably.
   */
  writeText(path: string, text: string, mode = 0o600): Promise<void> {
    return writeFile(path, text, { encoding: 'utf8', mode });
  }

  /** A new file at `path` to stream into (`wx`: fails with EEXIST when it exists); errors come as the stream's. */
  createExclusiveStream(path: string, mode = 0o600): Writable {
    return createWriteStream(path, { flags: 'wx', mode });
  }

  /** Creates `path` with `content` only if it does not exist (`wx`); false when it already did. */
  async createExclusive(path: string, content: string, mode = 0o600): Promise<boolean> {
    const file = await open(path, 'wx', mode).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return null;
      throw error;
    });
    if (!file) return false;
    try {
      await file.writeFile(content, 'utf8');
    } finally {
      await file.close();
    }
    return true;
  }

  /** The file's size and modification time; null when it does not exist. */
  async stat(path: string): Promise<FileInfo | null> {
    try {
      const info = await stat(path);
      return { size: info.size, mtimeMs: info.mtimeMs, isDirectory: info.isDirectory(), isFile: info.isFile(), ino: info.ino };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** The real path of `path` (links resolved); null when it does not resolve (missing, a broken link, no access). */
  async realPath(path: string): Promise<string | null> {
    try {
      return await realpath(path);
    } catch {
      return null;
    }
  }

  /** Whether this process may read `path`. */
  async isReadable(path: string): Promise<boolean> {
    try {
      await access(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The file's size now, 0 while it does not exist (synchronous: a follower takes its starting point at once). */
  sizeNow(path: string): number {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  }

  /** Names in `dir`; none when it does not exist. */
  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  /**
   * The entries of `dir` with their kinds, links not followed (one folder at a time: a walk of a tree asks
   * folder by folder). Errors pass through as they are (ENOENT, EACCES, ENOTDIR).
   */
  async listEntries(dir: string): Promise<DirEntry[]> {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.map((entry) => ({
      name: entry.name,
      kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : entry.isSymbolicLink() ? 'symlink' : 'other',
    }));
  }

  async mkdir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  /** Removes a file (or a directory, with what it holds); nothing when it is gone already. */
  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  /** The disk holding `path`. */
  async diskUsage(path: string): Promise<DiskUsage> {
    const disk = await statfs(path);
    return {
      totalBytes: disk.blocks * disk.bsize,
      freeBytes: disk.bavail * disk.bsize,
      usedBytes: (disk.blocks - disk.bfree) * disk.bsize,
    };
  }

  /** The file open for reading; null when it does not exist. */
  async openForReading(path: string): Promise<ReadableFile | null> {
    try {
      return await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  // The steps of a durable write (DurableFileSystem).

  open(path: string, flags: string, mode?: number): Promise<WritableFile> {
    return open(path, flags, mode);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return unlink(path);
  }
}
