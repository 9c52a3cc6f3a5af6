import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { callbackListenHost } from './rtmp-callback.server.js';

const ipv4 = (address: string): NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', netmask: '255.255.0.0', mac: '02:42:00:00:00:00', internal: false, cidr: `${address}/16` }) as NetworkInterfaceInfo;
const ipv6 = (address: string): NetworkInterfaceInfo =>
  ({ address, family: 'IPv6', netmask: 'ffff::', mac: '02:42:00:00:00:00', internal: false, cidr: `${address}/64`, scopeid: 0 }) as NetworkInterfaceInfo;

const HOST_WITH_DOCKER0 = { lo: [ipv4('127.0.0.1')], eth0: [ipv4('10.0.0.5')], docker0: [ipv6('fe80::1'), ipv4('172.17.0.1')] };

describe('callbackListenHost', () => {
  it.each([
    ['the IPAM gateway when it is a local address', { gateway: '172.17.0.1', interfaceName: 'docker0' }, HOST_WITH_DOCKER0, '172.17.0.1'],
    // A brand-new engine that created docker0 itself reports no gateway: the interface says where.
    ['the bridge interface address when the engine reports no gateway', { interfaceName: 'docker0' }, HOST_WITH_DOCKER0, '172.17.0.1'],
    ['loopback when the gateway is not on this host (Docker Desktop, a remote engine)', { gateway: '192.168.65.1', interfaceName: 'docker0' }, { lo: [ipv4('127.0.0.1')] }, '127.0.0.1'],
    ['loopback when the bridge interface has no IPv4 address yet', { interfaceName: 'docker0' }, { lo: [ipv4('127.0.0.1')], docker0: [ipv6('fe80::1')] }, '127.0.0.1'],
    ['loopback when the engine has no bridge network', undefined, HOST_WITH_DOCKER0, '127.0.0.1'],
  ])('binds to %s', (_what, bridge, interfaces, expected) => {
    expect(callbackListenHost(bridge, interfaces)).toBe(expected);
  });
});
