import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { bridgeHostAddress, firstHostAddress } from './rtmp-callback.server.js';

const ipv4 = (address: string): NetworkInterfaceInfo => ({
  address,
  family: 'IPv4',
  netmask: '255.255.0.0',
  mac: '02:42:00:00:00:00',
  internal: false,
  cidr: `${address}/16`,
});
const ipv6 = (address: string): NetworkInterfaceInfo => ({
  address,
  family: 'IPv6',
  netmask: 'ffff::',
  mac: '02:42:00:00:00:00',
  internal: false,
  cidr: `${address}/64`,
  scopeid: 0,
});

const WITH_DOCKER0 = { lo: [ipv4('127.0.0.1')], eth0: [ipv4('10.0.0.5')], docker0: [ipv6('fe80::1'), ipv4('172.18.0.1')] };
// The OS lists no interface without carrier: docker0 before its first container is attached.
const DOCKER0_UNLISTED = { lo: [ipv4('127.0.0.1')], eth0: [ipv4('10.0.0.5')] };

describe('bridgeHostAddress', () => {
  it.each([
    ['the IPAM gateway', { gateway: '172.17.0.1', subnet: '172.17.0.0/16', interfaceName: 'docker0' }, WITH_DOCKER0, '172.17.0.1'],
    [
      "the gateway of Docker Desktop's VM (binding it then fails, and loopback is used)",
      { gateway: '192.168.65.1' },
      DOCKER0_UNLISTED,
      '192.168.65.1',
    ],
    // A brand-new engine that made docker0 itself reports no gateway.
    [
      'the bridge interface address when the engine reports no gateway',
      { subnet: '172.18.0.0/16', interfaceName: 'docker0' },
      WITH_DOCKER0,
      '172.18.0.1',
    ],
    [
      'the first address of the subnet when the interface is not listed yet',
      { subnet: '172.17.0.0/16', interfaceName: 'docker0' },
      DOCKER0_UNLISTED,
      '172.17.0.1',
    ],
    ['nothing when the engine has no bridge network', undefined, WITH_DOCKER0, undefined],
    ['nothing when the bridge tells neither gateway, interface nor subnet', {}, WITH_DOCKER0, undefined],
  ])('is %s', (_what, bridge, interfaces, expected) => {
    expect(bridgeHostAddress(bridge, interfaces)).toBe(expected);
  });
});

describe('firstHostAddress', () => {
  it.each([
    ['172.17.0.0/16', '172.17.0.1'],
    ['172.17.5.9/16', '172.17.0.1'],
    ['10.200.4.0/22', '10.200.4.1'],
    ['192.168.1.128/25', '192.168.1.129'],
    ['0.0.0.0/0', '0.0.0.1'],
    ['fd00::/64', undefined],
    ['10.0.0.0/31', undefined],
    ['300.1.1.0/24', undefined],
    ['not a subnet', undefined],
  ])('%s → %s', (subnet, expected) => {
    expect(firstHostAddress(subnet)).toBe(expected);
  });
});
