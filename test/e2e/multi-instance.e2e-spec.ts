import Sqlite from 'better-sqlite3';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DestinationView } from '../../src/contracts/destinations.js';
import type { DocumentDefinition } from '../../src/documents/document-store.service.js';
import { RTMP_CONFIG_DOCUMENT } from '../../src/rtmp/rtmp-config.document.js';
import { DESTINATIONS_DOCUMENT, MAX_DESTINATIONS, type DestinationsDocument } from '../../src/telegram/destinations.document.js';
import { LIVE_OVERRIDE_DOCUMENT } from '../../src/telegram/live-override.document.js';
import { TELEGRAM_CONFIG_DOCUMENT } from '../../src/telegram/telegram-config.document.js';
import { AUDIO_TRACKS_DOCUMENT } from '../../src/tracks/audio-tracks.document.js';
import { createDatabase, makeTempDir, testEnv } from '../env/index.js';
import { call } from '../env/http.js';
import { makeTone } from '../env/media.js';
import { startWave, WaveServer } from '../env/wave-server.js';

// Several Wave instances, one station (issue 16): two real servers on one DATA_DIR (and one PM2_HOME), on the embedded
// SQLite database in it and on one PostgreSQL database. Every write either instance acknowledged must be there
// afterwards, as both APIs, the database and the files say; a lost 2xx fails the suite.

const TRACK_ADDS = 200;
const CONFIG_WRITES = 200;
const DESTINATIONS = '/api/stream/destinations';
const INGEST = 'rtmp://127.0.0.1:1935/live';

interface Track {
  id: string;
  title: string;
}

/** The databases the library runs on: the embedded default, and PostgreSQL (one DATABASE_URL for both instances). */
const DATABASES: Array<[string, () => Promise<{ DATABASE_URL?: string }>]> = [
  ['SQLite (embedded, in the shared DATA_DIR)', () => Promise.resolve({})],
  ['PostgreSQL (one DATABASE_URL)', async () => ({ DATABASE_URL: await createDatabase(testEnv.postgresUrl(), 'multi_instance_e2e') })],
];

/** What the database itself holds: track ids in play order, and the library's version. */
async function databaseTracks(dataDir: string, url: string | undefined): Promise<{ ids: string[]; version: number }> {
  if (!url) {
    const db = new Sqlite(join(dataDir, 'wave.db'), { readonly: true, fileMustExist: true });
    try {
      const ids = (db.prepare('select id from tracks order by position, id').all() as Array<{ id: string }>).map((r) => r.id);
      const { version } = db.prepare('select version from library_state where id = 1').get() as { version: number };
      return { ids, version: Number(version) };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ids = (await client.query<{ id: string }>('select id from tracks order by position, id')).rows.map((r) => r.id);
    const { rows } = await client.query<{ version: string }>('select version from library_state where id = 1');
    return { ids, version: Number(rows[0].version) };
  } finally {
    await client.end();
  }
}

async function allTracks(wave: WaveServer): Promise<Track[]> {
  const tracks: Track[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await call<{ tracks: Track[]; nextCursor?: string | null }>(
      wave,
      'GET',
      `/api/tracks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    tracks.push(...page.body.tracks);
    cursor = page.body.nextCursor;
  } while (cursor);
  return tracks;
}

/** Problems of a document as Wave reads it back (defaults under the file's fields, then the schema). */
function schemaProblems(def: DocumentDefinition<object>, text: string): string[] {
  const value = { ...def.defaults(), ...(JSON.parse(text) as object) };
  return validateSync(plainToInstance(def.schema, value), { forbidUnknownValues: false }).map((e) => e.toString());
}

const DOCUMENTS = [RTMP_CONFIG_DOCUMENT, TELEGRAM_CONFIG_DOCUMENT, LIVE_OVERRIDE_DOCUMENT, DESTINATIONS_DOCUMENT, AUDIO_TRACKS_DOCUMENT];

function report(label: string, counts: { sent: number; acknowledged: number; present: number; lost: number; ms: number }): void {
  console.log(
    `[multi-instance] ${label}: ${counts.sent} sent, ${counts.acknowledged} acknowledged (2xx), ${counts.present} present, ` +
      `${counts.lost} lost, ${counts.ms} ms`,
  );
}

describe.each(DATABASES)('Two Wave instances on one DATA_DIR, %s', (name, databaseEnv) => {
  const label = name.startsWith('SQLite') ? 'SQLite' : 'PostgreSQL';
  let dataDir: string;
  let song: string;
  let databaseUrl: string | undefined;
  let a: WaveServer;
  let b: WaveServer;
  /** The destinations the config test added. */
  let ids: string[] = [];
  const instances = () => [a, b] as const;

  beforeAll(async () => {
    const media = await makeTempDir('multi-media');
    song = join(media, 'song.mp3');
    await makeTone(song, { seconds: 1 });
    dataDir = await makeTempDir('multi-data');
    const env = { ...(await databaseEnv()), PM2_HOME: process.env.PM2_HOME! };
    databaseUrl = env.DATABASE_URL;
    // Booting together: both check (and create) the documents at once, under their locks.
    [a, b] = await Promise.all([startWave({ dataDir, env }), startWave({ dataDir, env })]);
  });

  afterAll(async () => {
    await Promise.all([a?.dispose(), b?.dispose()]);
  });

  it(`keeps every one of ${TRACK_ADDS} concurrent track adds split between the instances, and the snapshot holds them all`, async () => {
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: TRACK_ADDS }, (_, i) =>
        call<Track>(instances()[i % 2], 'POST', '/api/tracks', { path: song, title: `multi ${label} #${i}` }),
      ),
    );
    const ms = Date.now() - started;
    const acknowledged = answers.filter((r) => r.status === 201).map((r) => r.body);
    const refused = answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${JSON.stringify(r.body)}`);

    const inDatabase = new Set((await databaseTracks(dataDir, databaseUrl)).ids);
    const throughA = new Map((await allTracks(a)).map((t) => [t.id, t.title]));
    const throughB = new Map((await allTracks(b)).map((t) => [t.id, t.title]));
    const lost = acknowledged.filter((t) => !inDatabase.has(t.id) || throughA.get(t.id) !== t.title || throughB.get(t.id) !== t.title);
    report(`${label} track adds`, {
      sent: TRACK_ADDS,
      acknowledged: acknowledged.length,
      present: acknowledged.length - lost.length,
      lost: lost.length,
      ms,
    });
    expect(refused).toEqual([]);
    expect(lost).toEqual([]);
    expect(inDatabase.size).toBe(TRACK_ADDS);

    // The snapshot settles on the whole library: whichever instance wrote last wrote the newest view. Each instance
    // measures the loudness of the tracks it added, and each measurement changes the library: the view settles after.
    const settledStart = Date.now();
    await vi.waitFor(
      async () => {
        for (const wave of instances()) {
          const { body } = await call<{ pending: number; running: boolean }>(wave, 'GET', '/api/tracks/analysis');
          expect(body).toMatchObject({ pending: 0, running: false });
        }
      },
      { timeout: 150_000, interval: 500 },
    );
    const analysed = Date.now();
    await vi.waitFor(
      async () => {
        const text = await readFile(join(dataDir, 'audio-tracks.json'), 'utf8');
        const snapshot = JSON.parse(text) as { libraryVersion: number; tracks: Track[] };
        const { ids, version } = await databaseTracks(dataDir, databaseUrl);
        expect(snapshot.libraryVersion).toBe(version);
        expect(snapshot.tracks.map((t) => t.id)).toEqual(ids);
        expect(schemaProblems(AUDIO_TRACKS_DOCUMENT, text)).toEqual([]);
      },
      { timeout: 10_000, interval: 200 },
    );
    console.log(
      `[multi-instance] ${label} audio-tracks.json holds all ${TRACK_ADDS} tracks at the database's version: ` +
        `loudness analysis idle ${analysed - settledStart} ms after the last add, the snapshot ${Date.now() - analysed} ms after that`,
    );
    // Both instances measure the loudness of the tracks they added, one ffmpeg at a time at low priority.
  }, 240_000);

  it(`keeps every one of ${CONFIG_WRITES} concurrent destination writes split between the instances (each seen by the other)`, async () => {
    const started = Date.now();
    // Adds first, all at once, split: each must be in the list afterwards.
    const adds = await Promise.all(
      Array.from({ length: MAX_DESTINATIONS }, (_, k) =>
        call<DestinationView>(instances()[k % 2], 'POST', DESTINATIONS, { name: `d${k}-0`, url: INGEST, streamKey: `key-${k}` }),
      ),
    );
    expect(adds.map((r) => r.status)).toEqual(adds.map(() => 201));
    ids = adds.map((r) => r.body.id);
    /** Per destination, the name of its last acknowledged write; a write not seen by the other instance right after it is lost. */
    const last = ids.map((_, k) => `d${k}-0`);
    let acknowledged = adds.length;
    const lost: string[] = [];
    const refused: string[] = [];

    // Then a chain of renames per destination, the chains side by side: each write is answered by one instance and
    // read back through the other before the next, so a write another instance's stale read-modify-write undid shows.
    const patches = CONFIG_WRITES - adds.length;
    await Promise.all(
      ids.map(async (id, k) => {
        for (let j = 1; k + (j - 1) * ids.length < patches; j++) {
          const [writer, reader] = (k + j) % 2 === 0 ? [a, b] : [b, a];
          const next = `d${k}-${j}`;
          const res = await call<DestinationView>(writer, 'PATCH', `${DESTINATIONS}/${id}`, { name: next });
          if (res.status !== 200) {
            refused.push(`${res.status} ${JSON.stringify(res.body)}`);
            continue;
          }
          acknowledged++;
          last[k] = next;
          const seen = await call<DestinationView>(reader, 'GET', `${DESTINATIONS}/${id}`);
          if (seen.body.name !== next) lost.push(`${next} (the other instance read ${seen.body.name})`);
        }
      }),
    );
    const ms = Date.now() - started;

    const file = JSON.parse(await readFile(join(dataDir, 'stream-destinations.json'), 'utf8')) as DestinationsDocument;
    const stored = new Map(file.destinations.map((d) => [d.id, d.name]));
    for (const wave of instances()) {
      const listed = new Map((await call<DestinationView[]>(wave, 'GET', DESTINATIONS)).body.map((d) => [d.id, d.name]));
      ids.forEach((id, k) => {
        if (listed.get(id) !== last[k]) lost.push(`${last[k]} (${wave.baseUrl} lists ${listed.get(id)})`);
      });
    }
    ids.forEach((id, k) => {
      if (stored.get(id) !== last[k]) lost.push(`${last[k]} (the file holds ${stored.get(id)})`);
    });
    report(`${label} destination writes`, {
      sent: CONFIG_WRITES,
      acknowledged,
      present: acknowledged - new Set(lost.map((l) => l.split(' ')[0])).size,
      lost: lost.length,
      ms,
    });
    expect(refused).toEqual([]);
    expect(acknowledged).toBe(CONFIG_WRITES);
    expect(lost).toEqual([]);
    expect(file.destinations).toHaveLength(MAX_DESTINATIONS);
    expect(file.destinations.map((d) => d.streamKey).sort()).toEqual(ids.map((_, k) => `key-${k}`).sort());
  });

  it('leaves no torn file: every document parses and meets its schema, no temp file or lock is left over', async () => {
    const entries = await readdir(dataDir);
    for (const def of DOCUMENTS) {
      const text = await readFile(join(dataDir, def.file), 'utf8');
      expect(schemaProblems(def, text), def.file).toEqual([]);
    }
    for (const entry of entries.filter((e) => e.endsWith('.json'))) {
      const text = await readFile(join(dataDir, entry), 'utf8');
      expect(() => JSON.parse(text), entry).not.toThrow();
    }
    // wave-leader.lock is the leader lock, held while the leader runs (not a document's lock).
    expect(entries.filter((e) => e !== 'wave-leader.lock' && /\.tmp-\d+-\d+$|\.lock$|\.corrupt-/.test(e))).toEqual([]);
    expect(a.output()).not.toMatch(/lock of .* was lost while held/);
    expect(b.output()).not.toMatch(/lock of .* was lost while held/);
  });
  it('takes over the locks of the leader SIGKILLed while it wrote: the other leads, and its writes wait for them at most until they go stale', async () => {
    const file = join(dataDir, 'stream-destinations.json');
    const lock = `${file}.lock`;
    // The leader is the instance that writes (the other forwards to it): it is the one to kill holding a lock.
    const status = await call<{ leader: { url: string } }>(a, 'GET', '/api/streaming/status');
    const [leader, survivor] = status.body.leader.url === a.baseUrl ? [a, b] : [b, a];
    // The leader renames destinations again and again, 8 requests at a time, so one is always queued for the
    // document's lock and it holds it nearly all the time, until it is killed.
    let killed = false;
    const writing = Promise.all(
      Array.from({ length: 8 }, async (_, k) => {
        for (let j = 0; !killed; j++)
          await call(leader, 'PATCH', `${DESTINATIONS}/${ids[2 + k]}`, { name: `b-${k}-${j}` }).catch(() => undefined);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exited = new Promise((resolve) => leader.process.once('exit', resolve));
    leader.process.kill('SIGKILL');
    killed = true;
    await exited;
    await writing;
    const diedHolding = await readdir(dataDir).then((entries) => entries.includes('stream-destinations.json.lock'));

    // Until the survivor leads (about a second) its writes are refused with 503 no_leader / leader_unreachable and
    // Retry-After, changing nothing; a client sends them again, as these do (sooner than Retry-After says).
    const waits: number[] = [];
    const statuses: number[] = [];
    let refusals = 0;
    for (let j = 0; j < 10; j++) {
      const started = Date.now();
      for (;;) {
        const res = await call<DestinationView & { code?: string }>(survivor, 'PATCH', `${DESTINATIONS}/${ids[1]}`, {
          name: `after-kill-${j}`,
        });
        if (res.status === 503 && ['no_leader', 'leader_unreachable'].includes(res.body.code ?? '') && Date.now() - started < 15_000) {
          refusals++;
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        statuses.push(res.status);
        break;
      }
      waits.push(Date.now() - started);
    }
    console.log(
      `[multi-instance] ${label} SIGKILL of the leader ${diedHolding ? 'holding' : 'not holding'} the destinations lock: ` +
        `the other's next write answered in ${waits[0]} ms (${refusals} refusals while no instance led), the 9 after it in at most ${Math.max(...waits.slice(1))} ms`,
    );
    expect(statuses).toEqual(statuses.map(() => 200));
    expect(waits[0]).toBeLessThan(10_000);
    const stored = JSON.parse(await readFile(file, 'utf8')) as DestinationsDocument;
    expect(stored.destinations.find((d) => d.id === ids[1])?.name).toBe('after-kill-9');
    expect(schemaProblems(DESTINATIONS_DOCUMENT, await readFile(file, 'utf8'))).toEqual([]);
    expect(await readdir(dataDir)).not.toContain(lock.slice(dataDir.length + 1));
  });
});
