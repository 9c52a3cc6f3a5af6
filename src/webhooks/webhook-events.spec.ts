import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { WaveEventMap } from '../bus/wave-events.js';
import type { DestinationConnection } from '../contracts/destinations.js';
import { signedHeaders } from './webhook-delivery.worker.js';
import { daemonStopped, destinationState, retryDelayMs, sourceChanged } from './webhook-events.js';

const at = '2026-12-02T20:00:00.000Z';
const source = (s: string, previous: string | null, label: string): WaveEventMap['telegram.source'] => ({
  source: s,
  previous,
  label,
  live: s === 'rtmp',
  at,
});

describe('sourceChanged', () => {
  it.each([
    ['programme → DJ', null, source('rtmp', 'playlist', 'DJ A'), ['dj.live'], 'DJ A'],
    ['DJ → programme', 'DJ A', source('playlist', 'rtmp', 'playlist'), ['dj.ended'], null],
    ['DJ → the next DJ: the end first', 'DJ A', source('rtmp', 'rtmp', 'DJ B'), ['dj.ended', 'dj.live'], 'DJ B'],
    ['the configured relay at boot, then the playlist: no DJ ended', null, source('playlist', 'rtmp', 'playlist'), [], null],
    ['the same DJ reported again', 'DJ A', source('rtmp', 'rtmp', 'DJ A'), [], 'DJ A'],
    ['radio → playlist', null, source('playlist', 'url', 'playlist'), [], null],
  ])('%s', (_name, onAir, event, types, after) => {
    const result = sourceChanged(onAir, event);
    expect(result.events.map((e) => e.type)).toEqual(types);
    expect(result.onAir).toBe(after);
  });

  it('a daemon that stops ends the DJ on the air', () => {
    expect(daemonStopped('DJ A', at).map((e) => e.type)).toEqual(['dj.ended']);
    expect(daemonStopped(null, at)).toEqual([]);
  });
});

describe('destinationState', () => {
  const connection = (state: DestinationConnection['state']): DestinationConnection => ({
    id: 'yt',
    state,
    attempt: 0,
    since: at,
    uptimeSec: 0,
    bitrateKbps: 0,
    bytesSent: 0,
    reconnects: 0,
    lastError: null,
  });
  it.each([
    ['connecting', 'live', ['stream.up']],
    ['live', 'retrying', ['stream.down']],
    ['live', 'disabled', ['stream.down']],
    ['retrying', 'failed', []],
    [null, 'connecting', []],
  ] as const)('%s → %s', (previous, state, types) => {
    expect(destinationState({ destination: connection(state), name: 'YouTube', previous, at }).map((e) => e.type)).toEqual(types);
  });
});

describe('retryDelayMs', () => {
  it('doubles from 1 s to at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

describe('signedHeaders', () => {
  it('signs as Standard Webhooks: the library verifies it, and refuses a changed body or another secret', () => {
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const body = JSON.stringify({ id: 'msg_1', type: 'ping', timestamp: at, data: {} });
    const headers = signedHeaders(secret, 'msg_1', body, new Date());
    expect(headers['webhook-signature']).toMatch(/^v1,/);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: 'msg_1' });
    expect(() => new Webhook(secret).verify(body.replace('ping', 'pong'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 8).toString('base64')}`).verify(body, headers)).toThrow();
  });
});
