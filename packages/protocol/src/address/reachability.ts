import { addressToBytes } from './codec.ts';
import type { Network } from './types.ts';

/**
 * Why an address is (not) worth dialing. The classes follow Bitcoin Core's CNetAddr::IsValid
 * and IsRoutable (src/netaddress.cpp), but this policy is stricter than Core v31, which accepts,
 * stores and gossips several of the ranges refused here (tested against v31: 224.1.2.3,
 * 240.1.2.3, ff05::1, 3fff::1, 2002:a00:1::1 and 64:ff9b::7f00:1 were all accepted and
 * relayed). Core keeps them because its address manager only needs them to be well formed;
 * a crawler must not dial them, for reasons of its own:
 * - multicast (224/4, ff00::/8) and reserved (240/4, "future use", never assigned or routed on
 *   the internet) cannot hold a TCP peer;
 * - documentation ranges (RFC 5737, 2001:db8::/32, 3fff::/20) are never routed;
 * - local-use NAT64 (64:ff9b:1::/48, RFC 8215) leads nowhere from outside and, from inside, into
 *   the crawler operator's own network;
 * - the forms embedding IPv4 (NAT64 64:ff9b::/96, 6to4, Teredo) are judged by that IPv4 in
 *   the dial policy (packages/crawler/src/policy.ts): 64:ff9b::7f00:1 is loopback, and
 *   2002:a00:1::1 is 10.0.0.1.
 */
export type Reachability =
  | 'routable'
  | 'unspecified' // 0.0.0.0, ::   (Core: invalid)
  | 'broadcast' // 255.255.255.255 (Core: invalid)
  | 'loopback' // 127/8, 0/8, ::1 (Core: IsLocal)
  | 'rfc1918' // private IPv4
  | 'rfc2544' // 198.18/15 benchmarking
  | 'rfc3927' // 169.254/16 link-local
  | 'rfc6598' // 100.64/10 carrier-grade NAT
  | 'rfc5737' // IPv4 documentation
  | 'rfc3849' // 2001:db8::/32 documentation (Core: invalid)
  | 'rfc9637' // 3fff::/20 documentation (Core v31: accepted, see above)
  | 'rfc4862' // fe80::/64 link-local
  | 'rfc4193' // fc00::/7 unique local (on the ipv6 network)
  | 'rfc4843' // 2001:10::/28 ORCHID
  | 'rfc7343' // 2001:20::/28 ORCHIDv2
  | 'internal' // fd6b:88c0:8724::/48, Core's internal names
  | 'rfc8215' // 64:ff9b:1::/48 local-use NAT64 (not globally reachable; Core: routable)
  | 'multicast' // 224/4, ff00::/8 (Core v31: accepted)
  | 'reserved'; // 240/4 (Core v31: accepted)

/**
 * IPv6 ranges Core names but still counts as routable (they embed an IPv4 address, which
 * Core uses only for grouping): NAT64, IPv4-translated, 6to4 and Teredo.
 */
export type RoutableLabel =
  | 'rfc6052' // 64:ff9b::/96 NAT64
  | 'rfc6145' // ::ffff:0:0:0/96 IPv4-translated
  | 'rfc3964' // 2002::/16 6to4
  | 'rfc4380'; // 2001::/32 Teredo

export interface AddressClass {
  reachability: Reachability;
  /** Set only for routable addresses in one of the labelled ranges. */
  label?: RoutableLabel;
}

function classifyIPv4(b: Uint8Array, off = 0): Reachability {
  const [a, c, d] = [b[off] as number, b[off + 1] as number, b[off + 2] as number];
  const v4 = b.subarray(off, off + 4);
  if (v4.every((x) => x === 0)) return 'unspecified';
  if (v4.every((x) => x === 255)) return 'broadcast';
  if (a === 127 || a === 0) return 'loopback';
  if (a === 10 || (a === 192 && c === 168) || (a === 172 && c >= 16 && c <= 31)) return 'rfc1918';
  if (a === 198 && (c === 18 || c === 19)) return 'rfc2544';
  if (a === 169 && c === 254) return 'rfc3927';
  if (a === 100 && c >= 64 && c <= 127) return 'rfc6598';
  if (
    (a === 192 && c === 0 && d === 2) ||
    (a === 198 && c === 51 && d === 100) ||
    (a === 203 && c === 0 && d === 113)
  ) {
    return 'rfc5737';
  }
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'routable';
}

function zeros(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function classifyIPv6(b: Uint8Array): AddressClass {
  // ::ffff:a.b.c.d is IPv4 (Core stores it as such), so the embedded address decides.
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return { reachability: classifyIPv4(b, 12) };
  if (zeros(b, 0, 16)) return { reachability: 'unspecified' };
  if (zeros(b, 0, 15) && b[15] === 1) return { reachability: 'loopback' };
  const w0 = ((b[0] as number) << 8) | (b[1] as number);
  const w1 = ((b[2] as number) << 8) | (b[3] as number);
  const is = (reachability: Reachability): AddressClass => ({ reachability });
  if (w0 === 0x2001 && w1 === 0x0db8) return is('rfc3849');
  if (w0 === 0x3fff && (w1 & 0xf000) === 0) return is('rfc9637');
  if (b[0] === 0xfd && b[1] === 0x6b && b[2] === 0x88 && b[3] === 0xc0 && b[4] === 0x87 && b[5] === 0x24)
    return is('internal');
  if (w0 === 0xfe80 && zeros(b, 2, 8)) return is('rfc4862');
  if (((b[0] as number) & 0xfe) === 0xfc) return is('rfc4193');
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x0010) return is('rfc4843');
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x0020) return is('rfc7343');
  if (b[0] === 0xff) return is('multicast');
  // Local-use NAT64 only works inside the network that runs it, with a prefix length (and so an
  // IPv4 position) of its choosing: no embedded IPv4 can be read off it safely.
  if (w0 === 0x0064 && w1 === 0xff9b && b[4] === 0 && b[5] === 1) return is('rfc8215');
  const routable = (label: RoutableLabel): AddressClass => ({ reachability: 'routable', label });
  if (w0 === 0x0064 && w1 === 0xff9b && zeros(b, 4, 12)) return routable('rfc6052');
  if (zeros(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0)
    return routable('rfc6145');
  if (w0 === 0x2002) return routable('rfc3964');
  if (w0 === 0x2001 && w1 === 0) return routable('rfc4380');
  return is('routable');
}

/**
 * Classifies a host of the given network, with the label of a routable special range.
 * Onion, I2P and CJDNS are routable by nature. An IPv4-mapped host on ipv6 is classified
 * by its IPv4 address (it is not a canonical ipv6 host, but must never look routable when
 * it is private).
 */
export function describeAddress(network: Network, host: string): AddressClass {
  switch (network) {
    case 'ipv4':
      return { reachability: classifyIPv4(addressToBytes('ipv4', host)) };
    case 'ipv6':
      return classifyIPv6(addressToBytes('ipv6', host));
    default:
      return { reachability: 'routable' };
  }
}

/** Classifies a host of the given network (see describeAddress). */
export function classifyAddress(network: Network, host: string): Reachability {
  return describeAddress(network, host).reachability;
}

export function isRoutable(network: Network, host: string): boolean {
  return classifyAddress(network, host) === 'routable';
}
