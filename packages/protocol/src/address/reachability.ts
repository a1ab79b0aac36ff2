import { addressToBytes } from './codec.ts';
import type { Network } from './types.ts';

/**
 * Why an address is (not) worth dialing, following Bitcoin Core's CNetAddr::IsValid and
 * IsRoutable (src/netaddress.cpp). Multicast and the IPv4 240/4 + broadcast ranges are
 * also refused: Core does not list them, but no TCP peer can live there.
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
  | 'rfc4862' // fe80::/64 link-local
  | 'rfc4193' // fc00::/7 unique local (on the ipv6 network)
  | 'rfc4843' // 2001:10::/28 ORCHID
  | 'rfc7343' // 2001:20::/28 ORCHIDv2
  | 'internal' // fd6b:88c0:8724::/48, Core's internal names
  | 'multicast' // 224/4, ff00::/8
  | 'reserved'; // 240/4

function classifyIPv4(b: Uint8Array): Reachability {
  const [a, c] = [b[0] as number, b[1] as number];
  if (b.every((x) => x === 0)) return 'unspecified';
  if (b.every((x) => x === 255)) return 'broadcast';
  if (a === 127 || a === 0) return 'loopback';
  if (a === 10 || (a === 192 && c === 168) || (a === 172 && c >= 16 && c <= 31)) return 'rfc1918';
  if (a === 198 && (c === 18 || c === 19)) return 'rfc2544';
  if (a === 169 && c === 254) return 'rfc3927';
  if (a === 100 && c >= 64 && c <= 127) return 'rfc6598';
  if (
    (a === 192 && c === 0 && b[2] === 2) ||
    (a === 198 && c === 51 && b[2] === 100) ||
    (a === 203 && c === 0 && b[2] === 113)
  ) {
    return 'rfc5737';
  }
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'routable';
}

function classifyIPv6(b: Uint8Array): Reachability {
  if (b.every((x) => x === 0)) return 'unspecified';
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
  const w0 = ((b[0] as number) << 8) | (b[1] as number);
  const w1 = ((b[2] as number) << 8) | (b[3] as number);
  if (w0 === 0x2001 && w1 === 0x0db8) return 'rfc3849';
  if (b[0] === 0xfd && b[1] === 0x6b && b[2] === 0x88 && b[3] === 0xc0 && b[4] === 0x87 && b[5] === 0x24)
    return 'internal';
  if (w0 === 0xfe80 && b.subarray(2, 8).every((x) => x === 0)) return 'rfc4862';
  if (((b[0] as number) & 0xfe) === 0xfc) return 'rfc4193';
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x0010) return 'rfc4843';
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x0020) return 'rfc7343';
  if (b[0] === 0xff) return 'multicast';
  return 'routable';
}

/** Classifies a canonical host of the given network. Onion, I2P and CJDNS are routable by nature. */
export function classifyAddress(network: Network, host: string): Reachability {
  switch (network) {
    case 'ipv4':
      return classifyIPv4(addressToBytes('ipv4', host));
    case 'ipv6':
      return classifyIPv6(addressToBytes('ipv6', host));
    default:
      return 'routable';
  }
}

export function isRoutable(network: Network, host: string): boolean {
  return classifyAddress(network, host) === 'routable';
}
