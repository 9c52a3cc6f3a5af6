import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** The environment variable listing the private hosts and networks outbound connections may reach. */
export const OUTBOUND_ALLOW_VARIABLE = 'WAVE_OUTBOUND_ALLOW';

/**
 * Address ranges that are not the public internet (IANA special-purpose registries): what a configured URL
 * must not reach unless allowed, or a radio URL could make the daemon read Wave's own API, a cloud
 * metadata service (169.254.169.254) or a router's admin page, and relay it to the Telegram channel.
 */
const RESTRICTED: Array<[network: string, prefix: number, family: 'ipv4' | 'ipv6', kind: string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.0.2.0', 24, 'ipv4', 'reserved (documentation)'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'ipv4', 'reserved (documentation)'],
  ['203.0.113.0', 24, 'ipv4', 'reserved (documentation)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'private (site-local)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
  ['2001:db8::', 32, 'ipv6', 'reserved (documentation)'],
  ['100::', 64, 'ipv6', 'reserved (discard)'],
];

/** IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, the old compatible form): judged by that address. */
function embeddedIpv4(address: string): string | null {
  const groups = expandIpv6(address);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(groups[6], groups[7]); // ::ffff:a.b.c.d
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6], groups[7]); // 64:ff9b::a.b.c.d
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]); // 2002:aabb:ccdd::
  if (zeros(0, 6) && (groups[6] !== 0 || groups[7] > 1)) return v4(groups[6], groups[7]); // ::a.b.c.d
  return null;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tail and `::` included), or null. */
function expandIpv6(address: string): number[] | null {
  let text = address.toLowerCase().split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`;
  }
  const [head, tail, more] = text.split('::');
  if (more !== undefined) return null;
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<number>(Math.max(0, fill)).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const restricted = RESTRICTED.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, kind };
});

/** What kind of non-public address `address` is (`loopback`, `link-local`, `private`, …), or null for a public one. */
export function restrictedKind(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return null;
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return restrictedKind(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return restricted.find((r) => r.family === type && r.list.check(address, type))?.kind ?? null;
}

/**
 * The host of a URL as an address when it is written as one: `[::1]` → `::1`, and the IPv4 shorthands the
 * system resolver also reads as addresses (`127.1`, `2130706433`, `0x7f.0.0.1`) to their dotted form, so a
 * literal cannot slip past as a name. Null for a host name.
 */
export function literalAddress(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return bare;
  if (!/^[0-9a-fx.]+$/i.test(bare) || !/^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+))*\.?$/i.test(bare)) return null;
  try {
    // The WHATWG host parser applies the same IPv4 number rules as inet_aton (http: is a "special" scheme).
    const parsed = new URL(`http://${bare}/`).hostname;
    return isIP(parsed) === 4 ? parsed : null;
  } catch {
    return null;
  }
}

export class InvalidOutboundAllowanceError extends Error {}

/** A refused connection: the target (or a redirect hop) is a private, loopback or link-local address. */
export class OutboundRefusedError extends Error {
  readonly code = 'outbound_refused';
}

/**
 * Where Wave and the Telegram daemon may connect for configured URLs (radio, relay, Telegram server):
 * any public address, plus the private hosts and networks `WAVE_OUTBOUND_ALLOW` lists
 * (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`, `icecast.lan`, `.lan` for every name under it).
 */
export class OutboundPolicy {
  private readonly networks = new BlockList();
  private readonly names: string[] = [];
  private readonly suffixes: string[] = [];

  private constructor(readonly allowance: string) {}

  /** Parses the variable's value; throws InvalidOutboundAllowanceError naming the bad entry. */
  static parse(text: string | undefined): OutboundPolicy {
    const policy = new OutboundPolicy(text ?? '');
    for (const entry of (text ?? '').split(/[\s,]+/).filter(Boolean)) policy.add(entry);
    return policy;
  }

  private add(entry: string): void {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    const address = cidr ? cidr[1] : entry.replace(/^\[(.*)\]$/, '$1');
    const family = isIP(address);
    if (family) {
      const prefix = cidr ? Number(cidr[2]) : family === 4 ? 32 : 128;
      if (prefix > (family === 4 ? 32 : 128)) throw new InvalidOutboundAllowanceError(`${entry} is not a valid network (prefix too long)`);
      this.networks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
      return;
    }
    if (cidr) throw new InvalidOutboundAllowanceError(`${entry} is not a valid network`);
    const name = entry.toLowerCase().replace(/\.$/, '');
    if (!/^(\*?\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(name))
      throw new InvalidOutboundAllowanceError(`${entry} is neither an address, a network nor a host name`);
    if (name.startsWith('.') || name.startsWith('*.')) this.suffixes.push(name.slice(name.indexOf('.')));
    else this.names.push(name);
  }

  private nameAllowed(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.names.includes(name) || this.suffixes.some((suffix) => name.endsWith(suffix));
  }

  private addressAllowed(address: string): boolean {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.networks.check(address, family)) return true;
    const v4 = family === 'ipv6' ? embeddedIpv4(address) : null;
    return v4 !== null && this.networks.check(v4, 'ipv4');
  }

  /** Why connecting to `address` for a URL naming `host` is refused, or null when it is allowed. */
  refusal(host: string, address: string): string | null {
    const kind = restrictedKind(address);
    if (!kind || this.nameAllowed(host) || this.addressAllowed(address)) return null;
    const shown = literalAddress(host) === address ? address : `${host} (${address})`;
    return `${shown}, a ${kind} address (list it in ${OUTBOUND_ALLOW_VARIABLE} to allow it)`;
  }

  /** For config validation: why the URL's host, written as an address, is refused (null for names: they are judged when resolved). */
  literalRefusal(url: string): string | null {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return null; // the URL's own validation reports it
    }
    const address = literalAddress(host);
    return address ? this.refusal(host, address) : null;
  }

  /**
   * A `lookup` for net/tls/http connections: resolves the host as the system does and hands on only the
   * addresses this policy allows, so what was checked is what gets connected to (no second resolution a
   * DNS answer could change in between). Fails with OutboundRefusedError when none is allowed.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string } | number,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0) || 0;
    dnsLookup(hostname, { all: true, family: family }, (error, addresses) => {
      if (error) return callback(error, opts.all ? [] : '', undefined);
      const refusals: string[] = [];
      const allowed = addresses.filter((a) => {
        const why = this.refusal(hostname, a.address);
        if (why) refusals.push(why);
        return !why;
      });
      if (allowed.length === 0)
        return callback(
          new OutboundRefusedError(refusals[0] ? `refused to connect to ${refusals[0]}` : `${hostname} has no address`),
          opts.all ? [] : '',
          undefined,
        );
      if (opts.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };

  /** Throws OutboundRefusedError when `host` is an address this policy refuses (net.connect skips `lookup` for those). */
  assertLiteralAllowed(host: string): void {
    const address = literalAddress(host);
    const why = address ? this.refusal(host, address) : null;
    if (why) throw new OutboundRefusedError(`refused to connect to ${why}`);
  }
}
