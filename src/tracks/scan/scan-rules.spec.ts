import { describe, expect, it } from 'vitest';
import type { DirEntryKind } from '../../repositories/storage.repository.js';
import type { FileStamp } from '../../repositories/track.repository.js';
import { decideEntry, decideFile, decideLink, SKIP_REASONS, type FileDecision } from './scan-rules.js';

describe('scan rules', () => {
  const stamp = (fileSize: number | null, fileMtimeMs: number | null): FileStamp => ({ fileSize, fileMtimeMs });

  it.each<[string, FileStamp | undefined, FileDecision]>([
    ['a path the library does not have', undefined, 'new'],
    ['the same size and modification time', stamp(1000, 1712345678901.25), 'unchanged'],
    ['another size', stamp(999, 1712345678901.25), 'changed'],
    ['another modification time', stamp(1000, 1712345678900), 'changed'],
    ['both changed', stamp(1, 2), 'changed'],
    ['a track stored without a size (imported from audio-tracks.json)', stamp(null, 1712345678901.25), 'stamp'],
    ['a track stored without a modification time', stamp(1000, null), 'stamp'],
    ['a track stored without either', stamp(null, null), 'stamp'],
  ])('a file against %s: %s', (_name, stored, decision) => {
    expect(decideFile(stored, { size: 1000, mtimeMs: 1712345678901.25 })).toBe(decision);
  });

  it.each<[string, DirEntryKind, string, ReturnType<typeof decideEntry>]>([
    ['song.mp3', 'file', '/srv/music/song.mp3', { kind: 'file' }],
    ['notes.txt', 'file', '/srv/music/notes.txt', { kind: 'file' }],
    ['no-extension', 'file', '/srv/music/no-extension', { kind: 'file' }],
    ['album', 'directory', '/srv/music/album', { kind: 'descend' }],
    ['link.mp3', 'symlink', '/srv/music/link.mp3', { kind: 'link' }],
    ['.hidden.mp3', 'file', '/srv/music/.hidden.mp3', { kind: 'skip', reason: SKIP_REASONS.hidden }],
    ['.git', 'directory', '/srv/music/.git', { kind: 'skip', reason: SKIP_REASONS.hidden }],
    ['.link', 'symlink', '/srv/music/.link', { kind: 'skip', reason: SKIP_REASONS.hidden }],
    ['fifo', 'other', '/srv/music/fifo', { kind: 'skip', reason: SKIP_REASONS.notRegular }],
    ['proc', 'directory', '/proc', { kind: 'skip', reason: SKIP_REASONS.systemFolder }],
    ['etc', 'directory', '/etc', { kind: 'skip', reason: SKIP_REASONS.systemFolder }],
    ['etcetera', 'directory', '/etcetera', { kind: 'descend' }],
  ])('an entry %j (%s) at %s', (name, kind, path, decision) => {
    expect(decideEntry(name, kind, path)).toEqual(decision);
  });

  const file = { isFile: true, isDirectory: false };
  const folder = { isFile: false, isDirectory: true };
  const fifo = { isFile: false, isDirectory: false };
  it.each<[string, string | null, typeof file | null, string[], ReturnType<typeof decideLink>]>([
    ['to a file outside the folder', '/srv/other/song.mp3', file, [], { kind: 'file', file: '/srv/other/song.mp3' }],
    ['to a file in the folder', '/srv/music/album/song.mp3', file, [], { kind: 'skip', reason: SKIP_REASONS.linkIntoFolder }],
    [
      'to a file another link led to',
      '/srv/other/song.mp3',
      file,
      ['/srv/other/song.mp3'],
      { kind: 'skip', reason: SKIP_REASONS.linkSeen },
    ],
    ['to a folder outside', '/srv/other', folder, [], { kind: 'skip', reason: SKIP_REASONS.folderLink }],
    ['to the folder itself (a loop)', '/srv/music', folder, [], { kind: 'skip', reason: SKIP_REASONS.folderLink }],
    ['to a folder above it (a loop)', '/srv', folder, [], { kind: 'skip', reason: SKIP_REASONS.folderLink }],
    ['that is broken', null, null, [], { kind: 'skip', reason: SKIP_REASONS.brokenLink }],
    ['to a FIFO', '/srv/other/fifo', fifo, [], { kind: 'skip', reason: SKIP_REASONS.notRegular }],
    ['into /etc', '/etc/passwd', file, [], { kind: 'skip', reason: SKIP_REASONS.linkIntoSystem }],
    ['into /proc', '/proc/self/environ', file, [], { kind: 'skip', reason: SKIP_REASONS.linkIntoSystem }],
  ])('a link %s', (_name, real, info, seen, decision) => {
    expect(decideLink(real, info, '/srv/music', new Set(seen))).toEqual(decision);
  });
});
