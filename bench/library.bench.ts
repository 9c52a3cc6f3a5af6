import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database } from '../src/database/database.js';
import { TrackRepository } from '../src/repositories/track.repository.js';
import { freePort } from '../test/env/ports.js';
import { percentile, printTable } from './lib/stats.js';

/**
 * The track library at scale (issue 12): the built server (`node dist/main.js`, production, token set, rate limit
 * off) with a 50,000-track library against the same server with a 100-track library, both measured in this run
 * (the two libraries take turns, so drift on a shared machine hits both alike). Every figure is shown as the ratio
 * large / small; the target is every ratio ≤ 1.5, and a page or a search answering within 20 ms at 50,000.
 * A MISS is a measurement, not a failure: the bench fails only when an operation does not work.
 *
 * Both libraries are seed-shaped `audio-tracks.json` files (generated from word lists, every path the same tiny
 * mp3) that the first boot imports into an empty database. Request timings are medians of BENCH_LIBRARY_REPS (20)
 * after a warm-up. Results also go to `.bench-results/library.json`.
 */
const LARGE = Number(process.env.BENCH_LIBRARY_TRACKS ?? 50_000);
const SMALL = 100;
const REPS = Number(process.env.BENCH_LIBRARY_REPS ?? 20);
const WARMUP = 5;
/** Boots of each kind per library (the first boot needs an empty database: the data dir is made anew each time). */
const BOOTS = Number(process.env.BENCH_LIBRARY_BOOTS ?? 3);
const SNAPSHOT_REPS = Number(process.env.BENCH_LIBRARY_SNAPSHOT_REPS ?? 10);
const CONCURRENT_ADDS = 20;
const RATIO_TARGET = 1.5;
const ABSOLUTE_TARGET_MS = 20;
/** /health/live probes and snapshot-file polls run this often. */
const PROBE_EVERY_MS = 5;
const TOKEN = 'bench-token-0123456789abcdef';
const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_FILE = join(ROOT, '.bench-results', 'library.json');
const SEARCH_LIMIT = 20;
const DEEP_LIMIT = 50;

// ---------------------------------------------------------------------------------------------------------------
// The synthetic library

const ADJECTIVES = (
  'Silver Golden Electric Velvet Broken Hidden Endless Quiet Burning Frozen Wild Lonely Distant ' +
  'Crimson Neon Hollow Sacred Restless Gentle Fading Paper Glass Copper Amber Faded Secret Northern ' +
  'Southern Falling Rising Sweet Bitter Open'
).split(' ');
const NOUNS = (
  'River Heart Highway Ocean Garden Mirror Window Shadow Thunder Harbor Signal Engine Desert Forest ' +
  'Letter Station Island Circle Summer Winter Autumn Morning Evening Satellite Kingdom Feather ' +
  'Lantern Horizon Canyon Echo Avenue Carousel Compass Stone Rain Fire Wire Skyline Valley Tide ' +
  'Meadow Bridge Ember Orbit Machine Daydream'
).split(' ');
const FIRST_NAMES = (
  'Mara Jonas Elena Theo Ines Oskar Lena Felix Nora Hugo Ada Milo Clara Anton Iris Leon Vera Emil ' +
  'Lotte Rafael Sofia Bruno Greta Pablo Yara Dario Alma'
).split(' ');
const LAST_NAMES = (
  'Quill Hartmann Okafor Lindqvist Moreau Castellano Brandt Novak Sato Keller Duarte Whitlock ' +
  'Ferrand Kowalski Aalto Reyes Sorensen Vidal Marsh Obrien Tanaka Weiss'
).split(' ');
const GENRES = (
  'Synthwave|Ambient|Jazz|Soul|Funk|House|Techno|Indie Rock|Folk|Blues|Reggae|Hip Hop|Classical|' +
  'Downtempo|Drum and Bass|Pop|Electro|Country|Disco|Lo-Fi|Trip Hop|Bossa Nova'
).split('|');
/** In about a quarter of the titles (no other word of the lists contains it). */
const COMMON_WORD = 'night';
/** In exactly three tracks of either library. */
const RARE_WORD = 'zephyrine';

/** mulberry32: the same library on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SeedTrack {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  path: string;
  duration: number;
  addedAt: string;
}

function generateLibrary(count: number, audioFile: string): SeedTrack[] {
  const random = prng(12);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const artists = Array.from({ length: Math.max(10, Math.round(count / 25)) }, () =>
    random() < 0.7 ? `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}` : `The ${pick(ADJECTIVES)} ${pick(NOUNS)}s`,
  );
  const albums = new Map<string, string[]>();
  const rare = new Set([Math.floor(count * 0.1), Math.floor(count * 0.5), Math.floor(count * 0.9)]);
  const start = Date.parse('2020-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, i) => {
    const artist = pick(artists);
    if (!albums.has(artist))
      albums.set(
        artist,
        Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${pick(ADJECTIVES)} ${pick(NOUNS)}`),
      );
    const shape = random();
    let title =
      shape < 0.4
        ? `${pick(ADJECTIVES)} ${pick(NOUNS)}`
        : shape < 0.7
          ? `${pick(NOUNS)} of the ${pick(NOUNS)}`
          : `The ${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    if (random() < 0.25) title = random() < 0.5 ? `${title} at Night` : `Night ${title}`;
    if (random() < 0.1) title += ' (Remix)';
    if (rare.has(i)) title += ` ${RARE_WORD[0].toUpperCase()}${RARE_WORD.slice(1)}`;
    return {
      id: randomUUID(),
      title,
      artist,
      album: pick(albums.get(artist)!),
      genre: pick(GENRES),
      path: audioFile,
      duration: Math.round((120 + random() * 300) * 1000) / 1000,
      addedAt: new Date(start + i * 60_000).toISOString(),
    };
  });
}

function matches(tracks: SeedTrack[], word: string): number {
  return tracks.filter((t) => [t.title, t.artist, t.album, t.genre].join('\n').toLowerCase().includes(word)).length;
}

// ---------------------------------------------------------------------------------------------------------------
// The server

interface Library {
  size: number;
  dir: string;
  dataDir: string;
  seedText: string;
  commonMatches: number;
  rareMatches: number;
  /** A track of the seed (changed by the snapshot measurement). */
  someId: string;
  server?: Running;
}

interface Running {
  process: ChildProcess;
  baseUrl: string;
  stderr(): string;
}

function rssMb(pid: number | undefined): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

/** Starts `node dist/main.js` on the library's dirs; resolves at the first /health 200 with the time it took. */
async function boot(library: Library): Promise<{ server: Running; ms: number; rssMb: number }> {
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    SOCKET_PORT: String(await freePort()),
    DATA_DIR: library.dataDir,
    LOG_DIR: join(library.dir, 'logs'),
    PM2_HOME: join(library.dir, 'pm2'),
    WAVE_API_TOKEN: TOKEN,
    WAVE_RATE_LIMIT: '0',
  };
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`Wave (${library.size} tracks) exited before /health 200: ${stderr}`);
    if (performance.now() - started > 120_000) {
      child.kill('SIGKILL');
      throw new Error(`Wave (${library.size} tracks) gave no /health 200 within 120 s: ${stderr}`);
    }
    const ok = await fetch(`${baseUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(10);
  }
  const ms = performance.now() - started;
  return { server: { process: child, baseUrl, stderr: () => stderr }, ms, rssMb: rssMb(child.pid) };
}

async function stop(server: Running): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function request(server: Running, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function expectOk(server: Running, method: string, path: string, body?: unknown): Promise<string> {
  const { status, text } = await request(server, method, path, body);
  if (status < 200 || status > 299) throw new Error(`${method} ${path}: ${status} ${text.slice(0, 500)}`);
  return text;
}

async function timedMs(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The snapshot file's identity: a rewrite (temp file + rename) changes it. */
function snapshotStamp(library: Library): string {
  try {
    const info = statSync(join(library.dataDir, 'audio-tracks.json'));
    return `${info.ino}:${info.mtimeMs}:${info.size}`;
  } catch {
    return 'missing';
  }
}

/** Waits until no snapshot is pending: the file unchanged for longer than the snapshot's longest delay (2 s). */
async function settle(library: Library): Promise<void> {
  let stamp = snapshotStamp(library);
  let since = performance.now();
  while (performance.now() - since < 2_500) {
    await sleep(50);
    const now = snapshotStamp(library);
    if (now !== stamp) {
      stamp = now;
      since = performance.now();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

interface Figure {
  name: string;
  unit: 'ms' | 'MB';
  small: number;
  large: number;
  /** Whether the ratio has the ≤ 1.5 target (false: shown for information). */
  ratioTarget: boolean;
  /** An absolute bound on the large library's figure. */
  absoluteTarget?: number;
  /** Extra facts for the JSON (sample spreads, counts). */
  detail?: Record<string, unknown>;
}

function summary(samples: number[]): Record<string, number> {
  return {
    n: samples.length,
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
  };
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs `measure` REPS times per library after a warm-up, the two libraries taking turns (order alternating). */
async function interleaved(
  libraries: [Library, Library],
  measure: (library: Library, rep: number) => Promise<number>,
  reps = REPS,
  warmup = WARMUP,
): Promise<[number[], number[]]> {
  const samples: [number[], number[]] = [[], []];
  for (let rep = -warmup; rep < reps; rep++) {
    const order = rep % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const ms = await measure(libraries[i], rep);
      if (rep >= 0) samples[i].push(ms);
    }
  }
  return samples;
}

describe('bench: track library at scale', () => {
  it(`measures boot, memory, pages, search, adds, deletes and snapshots at ${LARGE} tracks against ${SMALL}`, async () => {
    const work = await mkdtemp(join(tmpdir(), 'wave-bench-library-'));
    const figures: Figure[] = [];
    const loadBefore = loadavg();
    const began = Date.now();
    const libraries: Library[] = [];
    try {
      // One real tiny mp3 (1 s, mono): every track of both libraries points at it.
      const audio = join(work, 'tiny.mp3');
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=1',
        '-ac',
        '1',
        '-ar',
        '22050',
        '-b:a',
        '32k',
        audio,
      ]);
      const filesDir = join(work, 'files');
      mkdirSync(filesDir);
      let fileCounter = 0;
      /** A copy of the tiny mp3 under a new name, for an add. */
      const freshFile = () => {
        const file = join(filesDir, `add-${++fileCounter}.mp3`);
        copyFileSync(audio, file);
        return file;
      };

      for (const size of [SMALL, LARGE]) {
        const dir = join(work, String(size));
        mkdirSync(dir);
        const tracks = generateLibrary(size, audio);
        libraries.push({
          size,
          dir,
          dataDir: join(dir, 'data'),
          seedText: `${JSON.stringify({ tracks }, null, 2)}\n`,
          commonMatches: matches(tracks, COMMON_WORD),
          rareMatches: matches(tracks, RARE_WORD),
          // Neither word in it, and none after a change either: the search figures' totals stay as counted.
          someId: tracks.find((t, i) => i > size / 3 && matches([t], COMMON_WORD) + matches([t], RARE_WORD) === 0)!.id,
        });
      }
      const pair = libraries as [Library, Library];
      const freshDataDir = async (library: Library) => {
        await rm(library.dataDir, { recursive: true, force: true });
        mkdirSync(library.dataDir, { recursive: true });
        writeFileSync(join(library.dataDir, 'audio-tracks.json'), library.seedText);
      };

      // --- Boots: the first imports the seed into an empty database; the second finds the database there.
      const firstBoot: [number[], number[]] = [[], []];
      const secondBoot: [number[], number[]] = [[], []];
      const bootRss: [number[], number[]] = [[], []];
      for (let run = 0; run < BOOTS; run++) {
        for (const i of run % 2 === 0 ? [0, 1] : [1, 0]) {
          const library = pair[i];
          await freshDataDir(library);
          const first = await boot(library);
          firstBoot[i].push(first.ms);
          await stop(first.server);
          const second = await boot(library);
          secondBoot[i].push(second.ms);
          bootRss[i].push(second.rssMb);
          await stop(second.server);
        }
      }
      figures.push({
        name: 'boot to /health 200, first (imports the seed)',
        unit: 'ms',
        small: percentile(firstBoot[0], 50),
        large: percentile(firstBoot[1], 50),
        ratioTarget: false,
        detail: { small: summary(firstBoot[0]), large: summary(firstBoot[1]) },
      });
      figures.push({
        name: 'boot to /health 200, second (database there)',
        unit: 'ms',
        small: percentile(secondBoot[0], 50),
        large: percentile(secondBoot[1], 50),
        ratioTarget: true,
        detail: { small: summary(secondBoot[0]), large: summary(secondBoot[1]) },
      });
      figures.push({
        name: 'RSS after boot (second boot)',
        unit: 'MB',
        small: percentile(bootRss[0], 50),
        large: percentile(bootRss[1], 50),
        ratioTarget: true,
        detail: { small: summary(bootRss[0]), large: summary(bootRss[1]) },
      });

      // --- The operations: both servers up (booted over their imported database), taking turns.
      for (const library of pair) library.server = (await boot(library)).server;
      const server = (library: Library) => library.server!;
      // A warm-up of the servers' code paths (JIT, connections) before any figure.
      for (let i = 0; i < 40; i++) {
        for (const library of pair) {
          for (const path of [
            '/health/live',
            '/api/tracks?limit=100',
            '/api/tracks?limit=100&sort=title',
            '/api/tracks?search=river&limit=20',
          ]) {
            await expectOk(server(library), 'GET', path);
          }
        }
      }
      const requestFigure = async (
        name: string,
        path: (library: Library) => string,
        check: (library: Library, body: { tracks: unknown[]; total: number }) => void,
        /** Run before each timed request, untimed. */
        before?: (library: Library, rep: number) => Promise<unknown>,
      ) => {
        for (const library of pair)
          check(library, JSON.parse(await expectOk(server(library), 'GET', path(library))) as { tracks: unknown[]; total: number });
        const [small, large] = await interleaved(pair, async (library, rep) => {
          await before?.(library, rep);
          return timedMs(() => expectOk(server(library), 'GET', path(library)));
        });
        figures.push({
          name,
          unit: 'ms',
          small: percentile(small, 50),
          large: percentile(large, 50),
          ratioTarget: true,
          absoluteTarget: ABSOLUTE_TARGET_MS,
          detail: { small: summary(small), large: summary(large) },
        });
      };
      await requestFigure(
        'GET /api/tracks?limit=100 (first page)',
        () => '/api/tracks?limit=100',
        (library, body) => {
          expect(body.tracks).toHaveLength(100);
          expect(body.total).toBe(library.size);
        },
      );
      // The deep page: 50 tracks after the middle of the library (the cursor found by walking the list).
      const deepCursor = new Map<Library, string>();
      for (const library of pair) {
        let cursor: string | null = null;
        for (let seen = 0; seen < library.size / 2;) {
          const limit = Math.min(1000, library.size / 2 - seen);
          const query: string = `/api/tracks?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
          const page = JSON.parse(await expectOk(server(library), 'GET', query)) as { tracks: unknown[]; nextCursor: string | null };
          seen += page.tracks.length;
          cursor = page.nextCursor;
        }
        deepCursor.set(library, cursor!);
      }
      await requestFigure(
        `GET /api/tracks?limit=${DEEP_LIMIT}&cursor=… (deep page: after the middle track)`,
        (library) => `/api/tracks?limit=${DEEP_LIMIT}&cursor=${deepCursor.get(library)}`,
        (_library, body) => expect(body.tracks).toHaveLength(DEEP_LIMIT),
      );
      await requestFigure(
        'GET /api/tracks?limit=100&sort=title',
        () => '/api/tracks?limit=100&sort=title',
        (_library, body) => expect(body.tracks).toHaveLength(100),
      );
      await requestFigure(
        `GET /api/tracks?search=${COMMON_WORD}&limit=${SEARCH_LIMIT} (common word)`,
        () => `/api/tracks?search=${COMMON_WORD}&limit=${SEARCH_LIMIT}`,
        (library, body) => {
          expect(body.total).toBe(library.commonMatches);
          expect(body.tracks).toHaveLength(SEARCH_LIMIT);
        },
      );
      await requestFigure(
        `GET /api/tracks?search=${RARE_WORD}&limit=${SEARCH_LIMIT} (rare word: 3 tracks)`,
        () => `/api/tracks?search=${RARE_WORD}&limit=${SEARCH_LIMIT}`,
        (library, body) => {
          expect(body.total).toBe(library.rareMatches);
          expect(body.tracks).toHaveLength(3);
        },
      );
      // The same searches right after a change to the library (a PATCH of a title, untimed): nothing derived from
      // the library before it (a total Wave remembers) can be used.
      const change = (library: Library, rep: number) =>
        expectOk(server(library), 'PATCH', `/api/tracks/${library.someId}`, { title: `Searched ${rep} ${randomUUID()}` });
      await requestFigure(
        `  the same, right after a change (common word)`,
        () => `/api/tracks?search=${COMMON_WORD}&limit=${SEARCH_LIMIT}`,
        (library, body) => expect(body.total).toBe(library.commonMatches),
        change,
      );
      await requestFigure(
        `  the same, right after a change (rare word)`,
        () => `/api/tracks?search=${RARE_WORD}&limit=${SEARCH_LIMIT}`,
        (library, body) => expect(body.total).toBe(library.rareMatches),
        change,
      );
      for (const library of pair) await settle(library);

      // --- Adds: over HTTP (ffprobe included), ffprobe alone, and the repository's insert alone (in this process,
      // on a second connection to the same SQLite file).
      const added = new Map<Library, string[]>(pair.map((library) => [library, []]));
      const [postSmall, postLarge] = await interleaved(
        pair,
        async (library) => {
          const file = freshFile();
          let id = '';
          const ms = await timedMs(async () => {
            id = (JSON.parse(await expectOk(server(library), 'POST', '/api/tracks', { path: file })) as { id: string }).id;
          });
          added.get(library)!.push(id);
          return ms;
        },
        REPS,
        3,
      );
      const probeSamples: number[] = [];
      for (let rep = -3; rep < REPS; rep++) {
        const file = freshFile();
        const ms = await timedMs(
          () =>
            new Promise<void>((done, fail) => {
              const probe = spawn('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', `file:${file}`], {
                stdio: ['ignore', 'pipe', 'ignore'],
              });
              probe.stdout.resume();
              probe.once('error', fail);
              probe.once('exit', (code) => (code === 0 ? done() : fail(new Error(`ffprobe exited with ${code}`))));
            }),
        );
        if (rep >= 0) probeSamples.push(ms);
      }
      const probeMs = percentile(probeSamples, 50);
      const databases = new Map<Library, Database>();
      for (const library of pair) databases.set(library, await Database.open({ dataDir: library.dataDir, databaseUrl: undefined }));
      let insertSmall: number[];
      let insertLarge: number[];
      try {
        [insertSmall, insertLarge] = await interleaved(
          pair,
          async (library) => {
            const repository = new TrackRepository(databases.get(library)!);
            const id = randomUUID();
            added.get(library)!.push(id);
            return timedMs(() =>
              repository.insert([
                {
                  id,
                  title: 'Bench Insert',
                  artist: 'Bench',
                  album: '',
                  genre: '',
                  tags: [],
                  path: audio,
                  duration: 1,
                  addedAt: new Date().toISOString(),
                  fileSize: 1,
                  fileMtimeMs: 1,
                },
              ]),
            );
          },
          REPS,
          3,
        );
      } finally {
        for (const database of databases.values()) await database.db.destroy();
      }
      figures.push({
        name: 'POST /api/tracks (add by path, ffprobe included)',
        unit: 'ms',
        small: percentile(postSmall, 50),
        large: percentile(postLarge, 50),
        ratioTarget: true,
        detail: { small: summary(postSmall), large: summary(postLarge) },
      });
      figures.push({
        name: '  − ffprobe alone (same file, from the bench)',
        unit: 'ms',
        small: probeMs,
        large: probeMs,
        ratioTarget: false,
        detail: { samples: summary(probeSamples) },
      });
      figures.push({
        // A difference of two medians of ~100 ms each: its ratio is mostly noise when the rest is a few ms.
        name: '  = add without ffprobe (POST − ffprobe; noisy)',
        unit: 'ms',
        small: percentile(postSmall, 50) - probeMs,
        large: percentile(postLarge, 50) - probeMs,
        ratioTarget: false,
      });
      figures.push({
        name: 'add without ffprobe: TrackRepository.insert alone',
        unit: 'ms',
        small: percentile(insertSmall, 50),
        large: percentile(insertLarge, 50),
        ratioTarget: true,
        detail: { small: summary(insertSmall), large: summary(insertLarge) },
      });
      for (const library of pair) await settle(library);

      // --- Deletes: the tracks just added.
      const [deleteSmall, deleteLarge] = await interleaved(
        pair,
        async (library) => {
          const id = added.get(library)!.pop()!;
          return timedMs(() => expectOk(server(library), 'DELETE', `/api/tracks/${id}`));
        },
        REPS,
        3,
      );
      figures.push({
        name: 'DELETE /api/tracks/:id',
        unit: 'ms',
        small: percentile(deleteSmall, 50),
        large: percentile(deleteLarge, 50),
        ratioTarget: true,
        detail: { small: summary(deleteSmall), large: summary(deleteLarge) },
      });
      for (const library of pair) await settle(library);

      // --- A change (PATCH a title) until audio-tracks.json is rewritten, with /health/live probed all along.
      const worstProbe: [number[], number[]] = [[], []];
      const probeMedians: [number[], number[]] = [[], []];
      const [snapshotSmall, snapshotLarge] = await interleaved(
        pair,
        async (library, rep) => {
          const i = pair.indexOf(library);
          const before = snapshotStamp(library);
          const probes: number[] = [];
          let probing = true;
          const prober = (async () => {
            while (probing) {
              const started = performance.now();
              const { status } = await request(server(library), 'GET', '/health/live');
              probes.push(performance.now() - started);
              if (status !== 200) throw new Error(`/health/live answered ${status}`);
              await sleep(PROBE_EVERY_MS);
            }
          })();
          await sleep(100);
          await expectOk(server(library), 'PATCH', `/api/tracks/${library.someId}`, { title: `Changed ${rep} ${randomUUID()}` });
          const changedAt = performance.now();
          while (snapshotStamp(library) === before) {
            if (performance.now() - changedAt > 30_000)
              throw new Error(`audio-tracks.json not rewritten within 30 s (${library.size} tracks)`);
            await sleep(PROBE_EVERY_MS);
          }
          const ms = performance.now() - changedAt;
          await sleep(100);
          probing = false;
          await prober;
          if (rep >= 0) {
            worstProbe[i].push(Math.max(...probes));
            probeMedians[i].push(percentile(probes, 50));
          }
          await settle(library);
          return ms;
        },
        SNAPSHOT_REPS,
        1,
      );
      figures.push({
        name: 'change → audio-tracks.json rewritten (PATCH acknowledged → new file)',
        unit: 'ms',
        small: percentile(snapshotSmall, 50),
        large: percentile(snapshotLarge, 50),
        ratioTarget: true,
        detail: { small: summary(snapshotSmall), large: summary(snapshotLarge) },
      });
      figures.push({
        name: `worst /health/live probe (every ${PROBE_EVERY_MS} ms) during change + snapshot`,
        unit: 'ms',
        small: percentile(worstProbe[0], 50),
        large: percentile(worstProbe[1], 50),
        ratioTarget: true,
        detail: {
          note: 'median over the repetitions of the worst probe of each; max is the worst probe of all',
          small: summary(worstProbe[0]),
          large: summary(worstProbe[1]),
          probeP50: { small: round(percentile(probeMedians[0], 50)), large: round(percentile(probeMedians[1], 50)) },
        },
      });

      // --- 20 adds at once: the wall time until all 20 answered.
      const [burstSmall, burstLarge] = await interleaved(
        pair,
        async (library) => {
          const files = Array.from({ length: CONCURRENT_ADDS }, freshFile);
          return timedMs(() => Promise.all(files.map((file) => expectOk(server(library), 'POST', '/api/tracks', { path: file }))));
        },
        REPS,
        2,
      );
      figures.push({
        name: `${CONCURRENT_ADDS} concurrent POST /api/tracks (all answered)`,
        unit: 'ms',
        small: percentile(burstSmall, 50),
        large: percentile(burstLarge, 50),
        ratioTarget: true,
        detail: { small: summary(burstSmall), large: summary(burstLarge) },
      });
      for (const library of pair) await settle(library);

      const opsRss = pair.map((library) => rssMb(server(library).process.pid));
      figures.push({ name: 'RSS after the operations', unit: 'MB', small: opsRss[0], large: opsRss[1], ratioTarget: true });
      for (const library of pair) expect(server(library).process.exitCode).toBeNull();
    } finally {
      for (const library of libraries) if (library.server) await stop(library.server);
      await rm(work, { recursive: true, force: true });
    }

    // --- Report
    const rows = figures.map((f) => {
      const ratio = f.large / f.small;
      const ratioOk = !f.ratioTarget || ratio <= RATIO_TARGET;
      const absoluteOk = f.absoluteTarget === undefined || f.large <= f.absoluteTarget;
      const targets = [f.ratioTarget ? `≤ ${RATIO_TARGET}×` : '', f.absoluteTarget !== undefined ? `≤ ${f.absoluteTarget} ms` : '']
        .filter(Boolean)
        .join(', ');
      return { f, ratio, targets, verdict: targets === '' ? '' : ratioOk && absoluteOk ? 'PASS' : 'MISS' };
    });
    const digits = (f: Figure, x: number) => (f.unit === 'MB' || x >= 100 ? x.toFixed(0) : x.toFixed(1));
    printTable(
      `Track library at ${LARGE.toLocaleString('en')} tracks vs ${SMALL} (same run; medians of ${REPS} after a warm-up, ` +
        `${BOOTS} boots, ${SNAPSHOT_REPS} snapshot changes; load avg ${loadBefore[0].toFixed(1)} on ${cpus().length} cores at start)`,
      [
        ['figure', 'unit', `${SMALL} tracks`, `${LARGE.toLocaleString('en')} tracks`, 'ratio', 'target', ''],
        ...rows.map(({ f, ratio, targets, verdict }) => [
          f.name,
          f.unit,
          digits(f, f.small),
          digits(f, f.large),
          `${ratio.toFixed(2)}×`,
          targets || '(info)',
          verdict,
        ]),
      ],
    );
    const missed = rows.filter((r) => r.verdict === 'MISS').map((r) => r.f.name);
    process.stdout.write(
      missed.length === 0
        ? 'library: every target met\n'
        : `library: ${missed.length} MISS (measurements, not failures): ${missed.join('; ')}\n`,
    );
    mkdirSync(join(ROOT, '.bench-results'), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          bench: 'library',
          at: new Date(began).toISOString(),
          durationS: round((Date.now() - began) / 1000, 1),
          node: process.version,
          cores: cpus().length,
          loadAverage: { start: loadBefore.map((x) => round(x)), end: loadavg().map((x) => round(x)) },
          libraries: { small: SMALL, large: LARGE },
          repetitions: { requests: REPS, warmup: WARMUP, boots: BOOTS, snapshotChanges: SNAPSHOT_REPS, concurrentAdds: CONCURRENT_ADDS },
          targets: { ratio: RATIO_TARGET, pageAndSearchMs: ABSOLUTE_TARGET_MS },
          figures: rows.map(({ f, ratio, targets, verdict }) => ({
            name: f.name,
            unit: f.unit,
            small: round(f.small),
            large: round(f.large),
            ratio: round(ratio, 3),
            target: targets || null,
            verdict: verdict || null,
            ...(f.detail && { detail: f.detail }),
          })),
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`results: ${RESULTS_FILE}\n`);
    expect(figures.length).toBeGreaterThan(10);
  });
});
