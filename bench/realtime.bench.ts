import { io, Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/env/ports.js';
import { startWave } from '../test/env/wave-server.js';
import { forkServer } from './lib/child-server.js';
import { percentile, printTable, verdict } from './lib/stats.js';

/**
 * An event's delivery to many Socket.IO clients: Wave (the built server, production mode, a config change
 * raising `system` on /admin) against a bare socket.io server broadcasting the same payload, in one run.
 * Latency per client = its receipt time minus the event's `at` (set by the server when the event is raised),
 * so the trigger (HTTP for Wave, IPC for the bare server) is not counted.
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARMUP_ROUNDS = 3;
const ROUND_GAP_MS = 100;
const ROUND_TIMEOUT_MS = 10_000;
const CONNECT_BATCH = 50;
const TOKEN = 'bench-token-0123456789abcdef';
/** Target: Wave's p99 at most this times the bare server's. */
const P99_RATIO_TARGET = 1.2;

interface Delivery {
  latenciesMs: number[];
  missed: number;
  connectMs: number;
}

async function connectAll(url: string, auth: Record<string, string> | undefined): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < CLIENTS; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, CLIENTS - i) }, () => {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
      sockets.push(socket);
      return new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
    });
    await Promise.all(batch);
  }
  return sockets;
}

interface Target {
  name: string;
  sockets: Socket[];
  trigger: () => Promise<void> | void;
  result: Delivery;
}

/** One round: trigger the event and wait until every client of `target` received it (or the round times out). */
async function deliverOnce(target: Target, counted: boolean): Promise<void> {
  const { sockets, result } = target;
  let received = 0;
  const all = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ROUND_TIMEOUT_MS);
    for (const socket of sockets) {
      socket.once('system', (event: { at: string }) => {
        if (counted) result.latenciesMs.push(Date.now() - Date.parse(event.at));
        received += 1;
        if (received === sockets.length) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  await target.trigger();
  await all;
  if (received < sockets.length) {
    if (counted) result.missed += sockets.length - received;
    for (const socket of sockets) socket.off('system');
  }
}

/**
 * Both servers keep their clients connected for the whole run and take turns (alternating who goes
 * first), so load from elsewhere on the machine hits both alike.
 */
async function measureInTurns(targets: Target[]): Promise<void> {
  for (let round = 0; round < ROUNDS + WARMUP_ROUNDS; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      await deliverOnce(target, round >= WARMUP_ROUNDS);
      await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
    }
  }
}

async function connectTarget(
  name: string,
  url: string,
  auth: Record<string, string> | undefined,
  trigger: Target['trigger'],
): Promise<Target> {
  const t0 = Date.now();
  const sockets = await connectAll(url, auth);
  return { name, sockets, trigger, result: { latenciesMs: [], missed: 0, connectMs: Date.now() - t0 } };
}

describe('bench: real-time delivery', () => {
  it(`delivers an event to ${CLIENTS} socket clients (Wave vs bare socket.io)`, async () => {
    const barePort = await freePort();
    const bare = await forkServer('bare-socketio.mjs', barePort);
    const wave = await startWave({ quiet: true, env: { NODE_ENV: 'production', WAVE_API_TOKEN: TOKEN } });
    const targets: Target[] = [];
    try {
      targets.push(await connectTarget('bare socket.io', `http://127.0.0.1:${barePort}/admin`, undefined, () => bare.send('emit')));
      targets.push(
        await connectTarget('Wave /admin system', `${wave.socketUrl}/admin`, { token: TOKEN }, async () => {
          // A real config change: Wave raises config.updated and its gateway broadcasts `system`.
          const res = await fetch(`${wave.baseUrl}/api/stream/telegram/config`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ source: 'playlist' }),
          });
          if (!res.ok) throw new Error(`config change answered ${res.status}: ${await res.text()}`);
        }),
      );
      await measureInTurns(targets);
    } finally {
      for (const target of targets) for (const socket of target.sockets) socket.close();
      await Promise.all([bare.stop(), wave.dispose()]);
    }
    const [bareResult, waveResult] = targets.map((target) => target.result);

    const row = (name: string, r: Delivery) => [
      name,
      r.latenciesMs.length,
      r.missed,
      percentile(r.latenciesMs, 50),
      percentile(r.latenciesMs, 99),
      Math.max(...r.latenciesMs),
      r.connectMs,
    ];
    const ratio = percentile(waveResult.latenciesMs, 99) / Math.max(1, percentile(bareResult.latenciesMs, 99));
    printTable(`Event delivery to ${CLIENTS} clients, ${ROUNDS} rounds (ms; receipt − event time)`, [
      ['server', 'deliveries', 'missed', 'p50', 'p99', 'max', 'connect all'],
      row('bare socket.io', bareResult),
      row('Wave /admin system', waveResult),
    ]);
    process.stdout.write(`p99 Wave / bare = ${ratio.toFixed(2)} (target ≤ ${P99_RATIO_TARGET}): ${verdict(ratio <= P99_RATIO_TARGET)}\n`);
    expect(waveResult.missed).toBe(0);
    expect(bareResult.missed).toBe(0);
  });
});
