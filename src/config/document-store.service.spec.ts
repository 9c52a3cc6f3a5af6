import 'reflect-metadata';
import { IsArray, IsInt, IsString, Max, Min } from 'class-validator';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppConfig } from './app-config.js';
import { DocumentDefinition, DocumentStore, DocumentValidationError } from './document-store.service.js';
import { validateEnvironment } from './env.validation.js';

class CounterDocument {
  @IsString() name!: string;
  @IsInt() @Min(0) @Max(1_000_000) count!: number;
  @IsArray() @IsInt({ each: true }) items!: number[];
}
const COUNTER: DocumentDefinition<CounterDocument> = {
  file: 'counter.json',
  schema: CounterDocument,
  defaults: () => ({ name: 'counter', count: 0, items: [] }),
};

describe('DocumentStore', () => {
  let dir: string;
  let store: DocumentStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wave-store-'));
    store = new DocumentStore(new AppConfig(validateEnvironment({ DATA_DIR: dir, LOG_DIR: dir })));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a missing document with its defaults', async () => {
    expect(await store.read(COUNTER)).toEqual({ name: 'counter', count: 0, items: [] });
    expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual({ name: 'counter', count: 0, items: [] });
  });

  it('keeps every acknowledged write of 200 concurrent updates', async () => {
    const writes = Array.from({ length: 200 }, (_, i) =>
      store.update(COUNTER, (doc) => ({ ...doc, count: doc.count + 1, items: [...doc.items, i] })),
    );
    await Promise.all(writes);
    const onDisk = JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8')) as CounterDocument;
    expect(onDisk.count).toBe(200);
    expect([...onDisk.items].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await readdir(dir)).filter((f) => f !== 'counter.json')).toEqual([]);
  });

  it('writes nothing when the update breaks the schema or throws', async () => {
    await store.update(COUNTER, (doc) => ({ ...doc, count: 5 }));
    const before = await readFile(join(dir, 'counter.json'), 'utf8');
    await expect(store.update(COUNTER, (doc) => ({ ...doc, count: -1 }))).rejects.toBeInstanceOf(DocumentValidationError);
    await expect(
      store.update(COUNTER, () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await readFile(join(dir, 'counter.json'), 'utf8')).toBe(before);
  });

  it('moves a corrupt file aside and starts from defaults', async () => {
    await writeFile(join(dir, 'counter.json'), '{"name": "counter", "count": ');
    expect(await store.read(COUNTER)).toEqual(COUNTER.defaults());
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('counter.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(await readFile(join(dir, aside!), 'utf8')).toBe('{"name": "counter", "count": ');
  });

  it('moves aside a file that parses but fails its schema', async () => {
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'counter', count: 'many', items: [] }));
    expect(await store.read(COUNTER)).toEqual(COUNTER.defaults());
    expect((await readdir(dir)).some((f) => f.startsWith('counter.json.corrupt-'))).toBe(true);
  });

  it('sees a file changed by another writer', async () => {
    await store.read(COUNTER);
    await writeFile(join(dir, 'counter.json'), JSON.stringify({ name: 'edited by hand', count: 7, items: [1] }));
    expect((await store.read(COUNTER)).name).toBe('edited by hand');
  });
});
