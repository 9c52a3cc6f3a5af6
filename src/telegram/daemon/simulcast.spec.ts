import { describe, expect, it } from 'vitest';
import type { DestinationSettings } from './destination-link.js';
import { planDestinations, telegramDestination } from './simulcast.js';

const d = (id: string, key = 'k'): DestinationSettings => ({
  id,
  label: id,
  publishUrl: `rtmp://${id}.example/live/${key}`,
  target: { host: `${id}.example`, port: 1935 },
});

describe('planDestinations', () => {
  it.each([
    ['nothing running', [], [d('telegram')], { start: ['telegram'], stop: [], restart: [] }],
    ['one added', [d('telegram')], [d('telegram'), d('yt')], { start: ['yt'], stop: [], restart: [] }],
    ['one removed (or disabled)', [d('telegram'), d('yt')], [d('telegram')], { start: [], stop: ['yt'], restart: [] }],
    ['a key changed', [d('telegram'), d('yt')], [d('telegram'), d('yt', 'new')], { start: [], stop: [], restart: ['yt'] }],
    ['nothing changed', [d('telegram'), d('yt')], [d('telegram'), d('yt')], { start: [], stop: [], restart: [] }],
  ])('%s', (_name, running, wanted, expected) => {
    const plan = planDestinations(running, wanted);
    expect({ start: plan.start.map((s) => s.id), stop: plan.stop, restart: plan.restart.map((s) => s.id) }).toEqual(expected);
  });
});

describe('telegramDestination', () => {
  it('publishes to the server URL and key; the label has no key', () => {
    const telegram = telegramDestination({ serverUrl: 'rtmps://dc4-1.rtmp.t.me/s/', streamKey: '123:abc' });
    expect(telegram).toMatchObject({
      id: 'telegram',
      publishUrl: 'rtmps://dc4-1.rtmp.t.me/s/123:abc',
      target: { host: 'dc4-1.rtmp.t.me', port: 443 },
    });
    expect(telegram.label).not.toContain('123:abc');
  });
});
