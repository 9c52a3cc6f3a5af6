import { describe, expect, it } from 'vitest';
import { InvalidOutboundAllowanceError, literalAddress, OutboundPolicy, OutboundRefusedError, restrictedKind } from './outbound-policy.js';

describe('restrictedKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private (carrier-grade NAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private (unique local)'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:0101::1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(restrictedKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '149.154.167.50', '2001:4860:4860::8888', '172.32.0.1'])('%s is public', (address) => {
    expect(restrictedKind(address)).toBeNull();
  });
});

describe('literalAddress', () => {
  it('reads every way an IPv4 address can be written as the resolver would', () => {
    expect(literalAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(literalAddress('[::1]')).toBe('::1');
    expect(literalAddress('2130706433')).toBe('127.0.0.1');
    expect(literalAddress('0x7f.0.0.1')).toBe('127.0.0.1');
    expect(literalAddress('127.1')).toBe('127.0.0.1');
    expect(literalAddress('radio.example')).toBeNull();
    expect(literalAddress('cafe')).toBeNull();
  });
});

describe('OutboundPolicy', () => {
  it('refuses private, loopback and link-local literals unless listed, naming the variable', () => {
    const none = OutboundPolicy.parse('');
    expect(none.literalRefusal('http://169.254.169.254/latest/meta-data/')).toBe(
      '169.254.169.254, a link-local address (list it in WAVE_OUTBOUND_ALLOW to allow it)',
    );
    expect(none.literalRefusal('rtmp://[::1]:1935/live/x')).toContain('loopback');
    expect(none.literalRefusal('rtmp://2130706433/live/x')).toContain('127.0.0.1, a loopback');
    expect(none.literalRefusal('https://radio.example/stream')).toBeNull(); // names are judged when resolved
    expect(none.literalRefusal('https://8.8.8.8/stream')).toBeNull();

    const some = OutboundPolicy.parse('127.0.0.1, 10.0.0.0/8 icecast.lan .home.arpa fd00::/8');
    expect(some.literalRefusal('http://127.0.0.1:8000/')).toBeNull();
    expect(some.literalRefusal('http://127.0.0.2:8000/')).toContain('loopback');
    expect(some.literalRefusal('http://10.9.8.7/')).toBeNull();
    expect(some.literalRefusal('http://[fd00::5]/')).toBeNull();
    expect(some.refusal('icecast.lan', '192.168.1.5')).toBeNull();
    expect(some.refusal('radio.home.arpa', '192.168.1.6')).toBeNull();
    expect(some.refusal('other.lan', '192.168.1.7')).toContain('other.lan (192.168.1.7), a private address');
    expect(some.refusal('x', '::ffff:10.0.0.1')).toBeNull();
  });

  it('names a bad entry', () => {
    expect(() => OutboundPolicy.parse('10.0.0.0/40')).toThrow(InvalidOutboundAllowanceError);
    expect(() => OutboundPolicy.parse('radio, host!')).toThrow('host! is neither an address, a network nor a host name');
    expect(() => OutboundPolicy.parse('radio/8')).toThrow('radio/8 is not a valid network');
  });

  it('resolves names and hands on only allowed addresses (refusing with outbound_refused when none is)', async () => {
    const lookup = (policy: OutboundPolicy, host: string) =>
      new Promise<string[]>((resolve, reject) =>
        policy.lookup(host, { all: true }, (error, addresses) =>
          error ? reject(error) : resolve((addresses as Array<{ address: string }>).map((a) => a.address)),
        ),
      );
    const error = await lookup(OutboundPolicy.parse(''), 'localhost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect((error as OutboundRefusedError).code).toBe('outbound_refused');
    expect((error as Error).message).toMatch(/^refused to connect to localhost \(.*\), a loopback address/);
    expect(await lookup(OutboundPolicy.parse('127.0.0.0/8'), 'localhost')).toContain('127.0.0.1');
    expect(() => OutboundPolicy.parse('').assertLiteralAllowed('127.0.0.1')).toThrow(OutboundRefusedError);
  });
});
