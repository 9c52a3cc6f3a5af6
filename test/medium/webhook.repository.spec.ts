import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/database/database.js';
import { type NewDelivery, WebhookRepository } from '../../src/repositories/webhook.repository.js';
import { createDatabase, testEnv } from '../env/index.js';

// The webhook queue's queries on both databases: each webhook's head in order, and a claim only one caller wins.

const AT = '2026-12-02T20:00:00.000Z';

const DATABASES: Array<[string, () => Promise<{ dataDir: string; databaseUrl?: string }>]> = [
  ['SQLite', async () => ({ dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-webhooks-')) })],
  [
    'PostgreSQL',
    async () => ({
      dataDir: await mkdtemp(join(tmpdir(), 'wave-medium-webhooks-')),
      databaseUrl: await createDatabase(testEnv.postgresUrl(), 'webhooks'),
    }),
  ],
];

describe.each(DATABASES)('webhook repository on %s', (_name, open) => {
  let database: Database;
  let dataDir: string;
  let repository: WebhookRepository;

  const delivery = (id: string, webhookId: string, seq: number): NewDelivery => ({
    id,
    webhookId,
    seq,
    type: 'track.changed',
    body: `{"id":"${id}"}`,
    createdAt: AT,
    dueAt: 1000,
  });

  beforeAll(async () => {
    const config = await open();
    dataDir = config.dataDir;
    database = await Database.open(config);
    repository = new WebhookRepository(database);
    for (const id of ['wh_a', 'wh_b'])
      await repository.insert({
        id,
        url: 'https://x.example/h',
        description: '',
        events: ['track.changed'],
        secret: 'whsec_x',
        enabled: true,
        createdAt: AT,
        updatedAt: AT,
      });
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("gives each webhook's oldest pending delivery, and the next once it is delivered", async () => {
    const seqBase = 1_796_000_000_000_000; // ms × 1000, as the service makes them (below 2^53)
    await repository.enqueue([
      delivery('d1', 'wh_a', seqBase + 1),
      delivery('d2', 'wh_a', seqBase + 2),
      delivery('d3', 'wh_b', seqBase + 3),
    ]);
    expect((await repository.heads()).map((d) => d.id).sort()).toEqual(['d1', 'd3']);
    await repository.recordAttempt('d1', {
      status: 'delivered',
      attempts: 1,
      nextAttemptAt: 2000,
      lastAttemptAt: AT,
      responseStatus: 204,
      error: null,
      deliveredAt: AT,
    });
    expect((await repository.heads()).map((d) => d.id).sort()).toEqual(['d2', 'd3']);
    expect((await repository.deliveries('wh_a', 10)).map((d) => [d.id, d.status])).toEqual([
      ['d2', 'pending'],
      ['d1', 'delivered'],
    ]);
    expect((await repository.heads()).find((d) => d.id === 'd2')?.seq).toBe(seqBase + 2);
  });

  it("holds a disabled webhook's deliveries, in order, until it is enabled again", async () => {
    const webhook = (await repository.get('wh_a'))!;
    await repository.update({ ...webhook, enabled: false });
    expect((await repository.heads()).map((d) => d.id)).toEqual(['d3']);
    await repository.update({ ...webhook, enabled: true });
    expect((await repository.heads()).map((d) => d.id).sort()).toEqual(['d2', 'd3']);
  });

  it('lets one of several racing claims win, and none while the lease holds', async () => {
    const claims = await Promise.all([1, 2, 3, 4].map(() => repository.claim('d2', 5000, 20_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await repository.claim('d2', 10_000, 30_000)).toBe(false);
    // The lease ran out (its holder died): another may take it.
    expect(await repository.claim('d2', 25_000, 40_000)).toBe(true);
  });

  it('deletes a webhook with its deliveries', async () => {
    expect(await repository.delete('wh_b')).toBe(true);
    expect(await repository.deliveries('wh_b', 10)).toEqual([]);
    expect(await repository.delete('wh_b')).toBe(false);
  });
});
