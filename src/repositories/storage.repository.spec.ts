import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageRepository } from './storage.repository.js';

describe('StorageRepository (on a temp dir the spec owns)', () => {
  const storage = new StorageRepository();
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'wave-storage-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('resolves a link to the real path, tells a regular file from a folder, and answers null for what does not resolve', async () => {
    await writeFile(join(dir, 'song.mp3'), 'AUDIO');
    await mkdir(join(dir, 'folder'));
    await symlink(join(dir, 'song.mp3'), join(dir, 'link.mp3'));
    await symlink(join(dir, 'gone.mp3'), join(dir, 'broken.mp3'));
    expect(await storage.realPath(join(dir, 'link.mp3'))).toBe(join(dir, 'song.mp3'));
    expect(await storage.realPath(join(dir, 'missing.mp3'))).toBeNull();
    expect(await storage.realPath(join(dir, 'broken.mp3'))).toBeNull();
    expect(await storage.stat(join(dir, 'song.mp3'))).toMatchObject({ size: 5, isFile: true, isDirectory: false });
    expect(await storage.stat(join(dir, 'folder'))).toMatchObject({ isFile: false, isDirectory: true });
    expect(await storage.stat(join(dir, 'missing.mp3'))).toBeNull();
    expect(await storage.isReadable(join(dir, 'song.mp3'))).toBe(true);
    expect(await storage.isReadable(join(dir, 'missing.mp3'))).toBe(false);
  });

  it("lists a folder with each entry's kind, links not followed; a missing folder is ENOENT", async () => {
    await writeFile(join(dir, 'song.mp3'), 'AUDIO');
    await mkdir(join(dir, 'album'));
    await symlink(join(dir, 'album'), join(dir, 'link-to-album'));
    await symlink(join(dir, 'song.mp3'), join(dir, 'link.mp3'));
    const entries = await storage.listEntries(dir);
    expect(entries.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'album', kind: 'directory' },
      { name: 'link-to-album', kind: 'symlink' },
      { name: 'link.mp3', kind: 'symlink' },
      { name: 'song.mp3', kind: 'file' },
    ]);
    await expect(storage.listEntries(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.listEntries(join(dir, 'song.mp3'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('writes text with its mode, and streams into a new file only (EEXIST for one that exists)', async () => {
    const file = join(dir, 'now-playing.json');
    await storage.writeText(file, '{"a":1}\n', 0o600);
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const upload = join(dir, '.incoming-1.mp3');
    await pipeline(Readable.from([Buffer.from('AUDIO…')]), storage.createExclusiveStream(upload, 0o600));
    expect(await readFile(upload, 'utf8')).toBe('AUDIO…');
    expect((await stat(upload)).mode & 0o777).toBe(0o600);
    await expect(pipeline(Readable.from([Buffer.from('again')]), storage.createExclusiveStream(upload))).rejects.toMatchObject({
      code: 'EEXIST',
      syscall: 'open',
    });
    expect(await readFile(upload, 'utf8')).toBe('AUDIO…');
  });
});
