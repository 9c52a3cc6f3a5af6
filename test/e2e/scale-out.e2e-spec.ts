import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicStatus, StreamingStatus, SystemEvent } from '../../src/contracts/socket-events.js';
import { startRedisServer, RedisServer } from '../env/redis-server.js';
import { connectWithFirst, nextEvent } from '../env/sockets.js';
import { startWave, WaveServer } from '../env/wave-server.js';

const TOKEN = 'scale-out-e2e-token-0123456789';

describe('Scale-out: two Wave instances behind one Redis', () => {
  let redis: RedisServer;
  let a: WaveServer;
  let b: WaveServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { WAVE_API_TOKEN: TOKEN, REDIS_URL: redis.url };
    [a, b] = await Promise.all([startWave({ env }), startWave({ env })]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([a?.dispose(), b?.dispose()]);
    await redis?.stop();
  });

  it('delivers an event raised on A to the clients of B (admin system event and public status)', async () => {
    const admin = await connectWithFirst<StreamingStatus>(`${b.socketUrl}/admin`, 'status', { auth: { token: TOKEN } });
    const listener = await connectWithFirst<PublicStatus>(`${b.socketUrl}/`, 'status');
    sockets.push(admin.socket, listener.socket);

    const system = nextEvent<SystemEvent>(admin.socket, 'system', 5000, (event) => event.type === 'config.updated');
    const pushed = nextEvent<PublicStatus>(listener.socket, 'status');
    const res = await fetch(`${a.baseUrl}/api/stream/telegram/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ source: 'playlist' }),
    });
    expect(res.status).toBe(200);
    expect(await system).toMatchObject({ type: 'config.updated', details: { document: 'telegram-config.json' } });
    expect(await pushed).toMatchObject({ onAir: false, live: false });
  });

  it('keeps each instance up when the other stops', async () => {
    expect(await a.stop()).toBe(0);
    const res = await fetch(`${b.baseUrl}/api/streaming/status`);
    expect(res.status).toBe(200);
  });
});
