import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationView } from '../../src/contracts/destinations.js';
import type { DestinationsUpdatedEvent, StreamingStatus, SystemEvent } from '../../src/contracts/socket-events.js';
import { call, json } from '../env/http.js';
import { connectSocket, nextEvent } from '../env/sockets.js';
import { startWave, WaveServer } from '../env/wave-server.js';

// Simulcast destinations over HTTP against the built server (no daemon: every connection shows `disabled`).

const KEY = 'yt-e2e-secret-key-9f3a';
const OTHER_KEY = 'tw-e2e-secret-key-77c1';
const TELEGRAM_KEY = '1234567890:AAbbCCddEEffGGhhIIjjKK';
const BASE = '/api/stream/destinations';

describe('Simulcast destinations API (real server, no daemon)', () => {
  let wave: WaveServer;
  let admin: Socket;
  const file = () => join(wave.dataDir, 'stream-destinations.json');
  const stored = async () => JSON.parse(await readFile(file(), 'utf8')) as { destinations: Array<{ id: string; streamKey: string }> };

  beforeAll(async () => {
    wave = await startWave();
    const put = await call(wave, 'PUT', '/api/stream/telegram/config', {
      serverUrl: 'rtmps://dc4-1.rtmp.t.me/s/',
      streamKey: TELEGRAM_KEY,
    });
    expect(put.status).toBe(200);
    admin = await connectSocket(`${wave.socketUrl}/admin`);
  });

  afterAll(async () => {
    admin?.close();
    await wave?.dispose();
  });

  it('lists the Telegram channel first, from its config, key masked, and refuses to change it here (409)', async () => {
    const list = await call<DestinationView[]>(wave, 'GET', BASE);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({
      id: 'telegram',
      kind: 'telegram',
      name: 'Telegram',
      url: 'rtmps://dc4-1.rtmp.t.me/s/',
      streamKey: '****jjKK',
      enabled: true,
      connection: { id: 'telegram', state: 'disabled', reason: 'the Telegram stream daemon does not run' },
    });
    expect((await call(wave, 'GET', `${BASE}/telegram`)).body).toMatchObject({ id: 'telegram' });
    for (const [method, path, body] of [
      ['PATCH', `${BASE}/telegram`, { name: 'TG' }],
      ['DELETE', `${BASE}/telegram`, undefined],
      ['POST', `${BASE}/telegram/disable`, undefined],
      ['POST', `${BASE}/telegram/enable`, undefined],
    ] as const) {
      const res = await call(wave, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body).toMatchObject({ code: 'telegram_destination', message: [expect.stringContaining('/api/stream/telegram/config')] });
    }
  });

  it('adds, reads, changes, disables, enables and deletes over HTTP; the file (0600) holds the key, nothing else does', async () => {
    const updates: DestinationsUpdatedEvent[] = [];
    admin.on('destinations:updated', (e: DestinationsUpdatedEvent) => updates.push(e));
    const pushed = nextEvent<StreamingStatus>(admin, 'status', 5000, (s) => s.destinations.some((d) => d.name === 'YouTube'));

    const created = await call<DestinationView>(wave, 'POST', BASE, {
      name: 'YouTube',
      url: 'rtmp://a.rtmp.youtube.com/live2',
      streamKey: KEY,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(id).toMatch(/^youtube-[0-9a-f]{6}$/);
    expect(created.body).toMatchObject({
      kind: 'rtmp',
      name: 'YouTube',
      url: 'rtmp://a.rtmp.youtube.com/live2',
      streamKey: '****9f3a',
      enabled: true,
      connection: { id, state: 'disabled' },
    });
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect((await stored()).destinations).toEqual([expect.objectContaining({ id, streamKey: KEY })]);
    expect((await pushed).destinations.map((d) => d.id)).toEqual(['telegram', id]);

    expect((await call(wave, 'GET', `${BASE}/${id}`)).body).toMatchObject({ id, name: 'YouTube' });
    const patched = await call<DestinationView>(wave, 'PATCH', `${BASE}/${id}`, { name: 'YouTube main', streamKey: OTHER_KEY });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'YouTube main', streamKey: '****77c1', url: 'rtmp://a.rtmp.youtube.com/live2' });
    expect((await stored()).destinations[0].streamKey).toBe(OTHER_KEY);
    expect((await call<DestinationView>(wave, 'POST', `${BASE}/${id}/disable`)).body).toMatchObject({ enabled: false });
    expect((await call<DestinationView>(wave, 'POST', `${BASE}/${id}/enable`)).body).toMatchObject({ enabled: true });
    const list = await call<DestinationView[]>(wave, 'GET', BASE);
    expect(list.body.map((d) => d.id)).toEqual(['telegram', id]);

    const status = await call<StreamingStatus>(wave, 'GET', '/api/streaming/status');
    expect(status.body.destinations).toEqual([
      expect.objectContaining({ id: 'telegram', kind: 'telegram', connection: expect.objectContaining({ state: 'disabled' }) }),
      expect.objectContaining({ id, name: 'YouTube main', enabled: true, connection: expect.objectContaining({ state: 'disabled' }) }),
    ]);
    expect(status.body.rtmp).toBeDefined();
    const services = await call(wave, 'GET', '/api/monitoring/services');
    expect(services.status).toBe(200);
    expect(services.body.destinations.map((d: { id: string }) => d.id)).toEqual(['telegram', id]);
    const metrics = await (await fetch(`${wave.baseUrl}/metrics`)).text();
    expect(metrics).toContain(`wave_destination_up{destination="${id}",name="YouTube main"} 0`);
    expect(metrics).toContain(`wave_destination_state{destination="${id}",state="disabled"} 1`);
    expect(metrics).toContain('wave_destination_up{destination="telegram",name="Telegram"} 0');
    expect(metrics).toMatch(/wave_destination_reconnects_total\{destination="telegram"/);
    expect(metrics).toMatch(/wave_destination_bitrate_kbps\{/);
    expect(metrics).toMatch(/wave_destination_uptime_seconds\{/);

    const deleted = await call(wave, 'DELETE', `${BASE}/${id}`);
    expect(deleted.status).toBe(204);
    expect((await call(wave, 'GET', `${BASE}/${id}`)).status).toBe(404);
    expect((await stored()).destinations).toEqual([]);
    await expect.poll(() => updates.map((u) => u.action)).toEqual(['added', 'updated', 'updated', 'updated', 'deleted']);
    expect(updates.every((u) => u.id === id)).toBe(true);
    expect((await fetch(`${wave.baseUrl}/metrics`).then((r) => r.text())).includes(`destination="${id}"`)).toBe(false);
    admin.off('destinations:updated');
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const created = await call<DestinationView>(wave, 'POST', BASE, { name: 'Keep', url: 'rtmps://keep.example/app', streamKey: KEY });
    const id = created.body.id;
    const before = await readFile(file(), 'utf8');
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', BASE, { name: 'x', url: 'http://x.example/app' }, 'url must be a URL starting with rtmp://, rtmps://'],
      ['POST', BASE, { name: 'x', url: 'rtmp://user:pass@x.example/app' }, 'url must not contain credentials'],
      ['POST', BASE, { name: '', url: 'rtmp://x.example/app' }, 'name must be longer than or equal to 1 characters'],
      ['POST', BASE, { name: 'x'.repeat(101), url: 'rtmp://x.example/app' }, 'name must be shorter than or equal to 100 characters'],
      ['POST', BASE, { url: 'rtmp://x.example/app' }, 'name must be a string'],
      ['POST', BASE, { name: 'x', url: 'rtmp://x.example/app', bogus: 1 }, 'property bogus should not exist'],
      ['POST', BASE, { name: 'x', url: 'rtmp://x.example/app', enabled: 'yes' }, 'enabled must be a boolean value'],
      ['POST', BASE, { name: 'x', url: 'rtmp://x.example/app', streamKey: 'a/b' }, 'streamKey must not contain'],
      ['PATCH', `${BASE}/${id}`, { url: 'rtmps://u:p@keep.example/app' }, 'url must not contain credentials'],
      ['PATCH', `${BASE}/${id}`, { url: 'rtmp://10.1.2.3/app' }, 'url must not point at'],
      ['PATCH', `${BASE}/${id}`, { name: null }, 'name must be a string'],
      ['PATCH', `${BASE}/${id}`, { id: 'other' }, 'property id should not exist'],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await call(wave, method, path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message.join('; '), JSON.stringify(body)).toContain(message);
    }
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect((await call(wave, 'POST', BASE, { name: 'keep', url: 'rtmp://x.example/app' })).body).toMatchObject({
      code: 'destination_name_taken',
    });
    expect((await call(wave, 'PATCH', `${BASE}/nope`, { enabled: false })).status).toBe(404);
    expect((await call(wave, 'DELETE', `${BASE}/nope`)).status).toBe(404);
    expect((await call(wave, 'POST', `${BASE}/nope/enable`)).body).toMatchObject({ code: 'destination_not_found' });
    expect(await readFile(file(), 'utf8')).toBe(before);
    await call(wave, 'DELETE', `${BASE}/${id}`);
  });

  it('holds at most 16 destinations besides Telegram (409 destinations_limit)', async () => {
    for (let i = 0; i < 16; i++) expect((await call(wave, 'POST', BASE, { name: `d${i}`, url: 'rtmp://x.example/app' })).status).toBe(201);
    const over = await call(wave, 'POST', BASE, { name: 'd16', url: 'rtmp://x.example/app' });
    expect(over).toMatchObject({ status: 409, body: { code: 'destinations_limit' } });
    const list = await call<DestinationView[]>(wave, 'GET', BASE);
    expect(list.body).toHaveLength(17);
    for (const d of list.body.slice(1)) expect((await call(wave, 'DELETE', `${BASE}/${d.id}`)).status).toBe(204);
  });

  it('documents every route in OpenAPI', async () => {
    const doc = await json(fetch(`${wave.baseUrl}/api/docs-json`));
    expect(Object.keys(doc.paths[BASE])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths[`${BASE}/{id}`])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(doc.paths[`${BASE}/{id}/enable`].post).toBeDefined();
    expect(doc.paths[`${BASE}/{id}/disable`].post).toBeDefined();
    expect(doc.components.schemas.DestinationViewDto.properties.connection).toBeDefined();
  });

  it('never lets a key out: not in responses, socket events or the logs', async () => {
    const seen: unknown[] = [];
    admin.onAny((...args: unknown[]) => seen.push(args));
    const created = await call(wave, 'POST', BASE, { name: 'Leak check', url: 'rtmp://leak.example/app', streamKey: KEY });
    const bodies = [created.body, (await call(wave, 'GET', BASE)).body, (await call(wave, 'GET', '/api/streaming/status')).body];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logs = await Promise.all((await readdir(wave.logDir)).map((f) => readFile(join(wave.logDir, f), 'utf8').catch(() => '')));
    for (const text of [JSON.stringify(bodies), JSON.stringify(seen), wave.output(), ...logs]) {
      for (const secret of [KEY, OTHER_KEY, TELEGRAM_KEY]) expect(text).not.toContain(secret);
    }
    expect(seen.some((args) => (args as unknown[])[0] === 'destinations:updated')).toBe(true);
    expect(seen.filter((args) => (args as unknown[])[0] === 'system').map((a) => ((a as unknown[])[1] as SystemEvent).type)).not.toContain(
      'destination.up',
    );
  });
});
