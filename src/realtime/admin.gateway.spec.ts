import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { DestinationConnection } from '../contracts/destinations.js';
import { AdminGateway } from './admin.gateway.js';

/** The /admin namespace as the gateway sees it: what it emitted, in order. */
class FakeNamespace {
  readonly emitted: Array<[string, unknown]> = [];
  emit(event: string, payload: unknown): boolean {
    this.emitted.push([event, payload]);
    return true;
  }
}

function gatewayOnFake(): { gateway: AdminGateway; namespace: FakeNamespace } {
  const gateway = new AdminGateway(null as never, null as never, null as never, null as never);
  const namespace = new FakeNamespace();
  (gateway as unknown as { namespace: FakeNamespace }).namespace = namespace;
  return { gateway, namespace };
}

const connection = (state: DestinationConnection['state'], extra: Partial<DestinationConnection> = {}): DestinationConnection => ({
  id: 'yt-1a2b3c',
  state,
  attempt: 0,
  since: '2026-01-01T00:00:00.000Z',
  uptimeSec: 0,
  bitrateKbps: 0,
  bytesSent: 0,
  reconnects: 0,
  lastError: null,
  ...extra,
});

describe('AdminGateway: simulcast destinations (fake namespace)', () => {
  it('pushes destination:state on every change, and system destination.up / destination.down around live', () => {
    const { gateway, namespace } = gatewayOnFake();
    const at = '2026-01-01T00:00:05.000Z';
    gateway.destinationState({ destination: connection('connecting'), name: 'YouTube', previous: null, at });
    gateway.destinationState({ destination: connection('live'), name: 'YouTube', previous: 'connecting', at });
    const lastError = { message: 'connection lost', code: 'connection_lost', at };
    gateway.destinationState({ destination: connection('retrying', { attempt: 1, lastError }), name: 'YouTube', previous: 'live', at });
    gateway.destinationState({ destination: connection('failed', { attempt: 5, lastError }), name: 'YouTube', previous: 'retrying', at });

    expect(namespace.emitted.map(([event]) => event)).toEqual([
      'destination:state',
      'destination:state',
      'system',
      'destination:state',
      'system',
      'destination:state',
    ]);
    expect(namespace.emitted[1][1]).toEqual({ destination: connection('live'), name: 'YouTube', previous: 'connecting', at });
    expect(namespace.emitted[2][1]).toMatchObject({
      type: 'destination.up',
      message: 'Simulcast to YouTube is live',
      details: { id: 'yt-1a2b3c', name: 'YouTube', state: 'live', previous: 'connecting' },
    });
    expect(namespace.emitted[4][1]).toMatchObject({
      type: 'destination.down',
      message: 'Simulcast to YouTube is retrying (connection lost)',
      details: { state: 'retrying', previous: 'live', lastError },
    });
  });

  it('pushes destinations:updated as the bus raised it', () => {
    const { gateway, namespace } = gatewayOnFake();
    const event = { action: 'added' as const, id: 'yt-1a2b3c', at: '2026-01-01T00:00:00.000Z' };
    gateway.destinationsUpdated(event);
    expect(namespace.emitted).toEqual([['destinations:updated', event]]);
  });
});
