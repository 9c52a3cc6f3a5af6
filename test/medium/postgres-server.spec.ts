import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, testEnv } from '../env/index.js';

// The run's PostgreSQL server (test/env/global-setup.ts): each suite takes databases of its own from it.
describe('PostgreSQL test server', () => {
  const suiteBegan = new Date();
  let firstUrl: string;
  let secondUrl: string;
  let first: pg.Client;
  let second: pg.Client;

  beforeAll(async () => {
    firstUrl = await createDatabase(testEnv.postgresUrl(), 'env_spec');
    secondUrl = await createDatabase(testEnv.postgresUrl(), 'env_spec');
    first = new pg.Client({ connectionString: firstUrl });
    second = new pg.Client({ connectionString: secondUrl });
    await first.connect();
    await second.connect();
  });

  afterAll(async () => {
    await first?.end();
    await second?.end();
  });

  it('gives each call a database of its own, on the run server', () => {
    expect(firstUrl).not.toBe(secondUrl);
    const server = new URL(testEnv.postgresUrl());
    for (const url of [firstUrl, secondUrl].map((u) => new URL(u))) {
      expect(url.host).toBe(server.host);
      expect(url.pathname).toMatch(/^\/env_spec_[0-9a-f]{12}$/);
    }
  });

  it('keeps a table written in one database out of the other', async () => {
    await first.query('CREATE TABLE tracks (id integer PRIMARY KEY, title text NOT NULL)');
    await first.query("INSERT INTO tracks VALUES (1, 'first')");
    expect((await first.query('SELECT title FROM tracks')).rows).toEqual([{ title: 'first' }]);
    expect((await second.query("SELECT to_regclass('public.tracks') AS found")).rows).toEqual([{ found: null }]);
    await expect(second.query('SELECT * FROM tracks')).rejects.toThrow(/relation "tracks" does not exist/);
    // Both start empty: the second has no tables at all.
    expect((await second.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows).toEqual([{ n: 0 }]);
  });

  it('is the one server of the run, started before this suite and up until teardown', async () => {
    // Started by the global setup, not for this file: the postmaster is older than the suite.
    const { rows } = await first.query<{ started: Date }>('SELECT pg_postmaster_start_time() AS started');
    expect(rows[0].started.getTime()).toBeLessThan(suiteBegan.getTime());
    // A fresh connection after the work above still gets through; the data is still there.
    const again = new pg.Client({ connectionString: firstUrl });
    await again.connect();
    try {
      expect((await again.query('SELECT title FROM tracks')).rows).toEqual([{ title: 'first' }]);
    } finally {
      await again.end();
    }
  });
});
