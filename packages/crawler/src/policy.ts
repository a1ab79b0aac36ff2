import type { Network } from '@bitcrawl/model';
import {
  addressFromBytes,
  addressToBytes,
  classifyAddress,
  isIPv4Mapped,
  type Reachability,
} from '@bitcrawl/protocol';
import ipaddr from 'ipaddr.js';
import type { CrawlerConfig } from './config.ts';
import { parseProxyUrl, type Route } from './dial.ts';

/**
 * A dial decision. `target` is what to connect to: the canonical form of the requested host,
 * and for an IPv4-mapped IPv6 address (::ffff:a.b.c.d) the IPv4 address itself.
 */
export type Decision =
  | { dial: true; route: Route; target: { network: Network; host: string } }
  | { dial: false; reason: string; rule?: GossipRule };

/** The rules that apply to gossiped targets only (counted by rule in /metrics). */
export type GossipRule = 'bad_port' | 'port_zero' | 'per_ip';

export interface Policy {
  /**
   * Never throws: an invalid or unwanted target is `{ dial: false, reason }`. A target with a
   * port is gossip unless `explicit` (a --seed, `bitcrawl visit`): gossip may not name port 0
   * nor, on IPv4/IPv6, one of Core's bad ports.
   */
  decide(target: { network: Network; host: string; port?: number }, opts?: { explicit?: boolean }): Decision;
}

/**
 * Bitcoin Core's IsBadPort (v31): ports of other services that its outbound connections avoid
 * for gossiped IPv4/IPv6 addresses, so that gossip cannot make nodes (or a crawler) knock on SSH,
 * SMTP, databases and the like of a third party.
 */
export const BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3306, 3389, 3659, 4045, 5060, 5061, 5432, 5900, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
  27017,
]);

/** Why a gossiped target's port is refused, if it is. I2P has no ports: its addresses carry 0. */
function gossipPortRule(
  network: Network,
  port: number,
  allowBadPorts: boolean,
): { dial: false; reason: string; rule: GossipRule } | undefined {
  if (port === 0 && network !== 'i2p')
    return {
      dial: false,
      rule: 'port_zero',
      reason: 'port 0 from gossip (only an explicit seed may name it)',
    };
  if (!allowBadPorts && (network === 'ipv4' || network === 'ipv6') && BAD_PORTS.has(port))
    return {
      dial: false,
      rule: 'bad_port',
      reason: `port ${port} from gossip is on Bitcoin Core's bad-port list (ALLOW_BAD_PORTS=true dials it)`,
    };
  return undefined;
}

/** Longer than any canonical host (a .b32.i2p name is 60 characters); bounds the parse work. */
const MAX_HOST_LENGTH = 100;

/** Ranges that are never dialable, allowPrivate or not: nothing can answer there. */
const NEVER: ReadonlySet<Reachability> = new Set(['unspecified', 'multicast', 'broadcast']);

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * IPv6 ranges that embed an IPv4 address the packets may end up at: NAT64 (64:ff9b::/96, RFC
 * 6052; 64:ff9b:1::/48, RFC 8215), IPv4-translated (::ffff:0:0:0/96, RFC 6145), IPv4-compatible
 * (::/96, still tunnelled by sit0), 6to4 (2002::/16) and Teredo (2001::/32, client IPv4 inverted).
 * Such a target is only as dialable as its embedded IPv4: 64:ff9b::7f00:1 is loopback.
 */
function embeddedIPv4(b: number[]): ipaddr.IPv4 | undefined {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (off: number, xor = 0) => new ipaddr.IPv4(b.slice(off, off + 4).map((x) => (x ^ xor) & 0xff));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zero(4, 12)) return v4(12);
    if (b[4] === 0 && b[5] === 1) return v4(12);
  }
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return v4(12);
  if (zero(0, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) return v4(12, 0xff);
  return undefined;
}

/**
 * Decides whether and how a target may be dialed. Nothing is dialed that the configuration
 * does not allow: every host must be a valid address of its network (IP literals for
 * ipv4/ipv6, never a name that would go through DNS; fc00::/8 for CJDNS; a valid v3 .onion
 * or .b32.i2p name for the overlays), private ranges need allowPrivate, the deny-list applies
 * to every IP (CJDNS and the IPv4 inside mapped/NAT64/6to4/Teredo addresses included),
 * overlays need their proxy, CJDNS needs the operator's word that a route exists.
 * Throws only on a bad configuration (invalid deny CIDR), at creation.
 */
export function createPolicy(config: CrawlerConfig): Policy {
  const deny = config.denyCidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch {
      throw new Error(`invalid CIDR in deny-list: "${c}"`);
    }
  });
  // Proxy URLs were validated by the config schema; parse them once, here.
  const routes: Partial<Record<Network, Route>> = {};
  for (const network of ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'] as const) {
    const url =
      config.proxies[network] ?? (network === 'i2p' || network === 'cjdns' ? undefined : config.proxy);
    if (url) routes[network] = { kind: 'socks', ...parseProxyUrl(url) };
  }

  const denied = (addrs: Ip[]): string | undefined => {
    for (const addr of addrs) {
      for (const [range, bits] of deny) {
        if (addr.kind() === range.kind() && addr.match(range, bits))
          return `denied by ${range.toString()}/${bits}`;
      }
    }
    return undefined;
  };

  /** The allowPrivate / never-dialable rule for one classification. */
  const refuseClass = (cls: Reachability, what: string): string | undefined => {
    if (NEVER.has(cls)) return `cannot connect to a ${cls} address${what}`;
    if (cls !== 'routable' && !config.allowPrivate)
      return `non-routable address (${cls}${what}); --allow-private (ALLOW_PRIVATE=true) dials it`;
    return undefined;
  };

  const decideIp = (network: 'ipv4' | 'ipv6' | 'cjdns', host: string): Decision => {
    let bytes: Uint8Array;
    try {
      bytes = addressToBytes(network, host);
    } catch {
      const want =
        network === 'ipv4'
          ? 'a dotted-quad IPv4 address'
          : network === 'ipv6'
            ? 'an IPv6 address'
            : 'an fc00::/8 IPv6 address';
      return { dial: false, reason: `invalid ${network} host "${host}": expected ${want}` };
    }
    // ::ffff:a.b.c.d is IPv4: classify, deny-match and dial it as such.
    if (network === 'ipv6' && isIPv4Mapped(bytes))
      return decideIp('ipv4', addressFromBytes('ipv4', bytes.subarray(12)));
    const canonical = addressFromBytes(network, bytes);
    if (network !== 'cjdns') {
      const why = refuseClass(classifyAddress(network, canonical), '');
      if (why) return { dial: false, reason: why };
    }
    const inner = network === 'ipv4' ? undefined : embeddedIPv4([...bytes]);
    if (inner) {
      const why = refuseClass(classifyAddress('ipv4', inner.toString()), ` embedded as ${inner.toString()}`);
      if (why) return { dial: false, reason: why };
    }
    if (deny.length > 0) {
      // The target and its other forms; built only when there is a list (they cost a parse each).
      const related: Ip[] = [ipaddr.fromByteArray([...bytes])];
      // Let IPv6 deny ranges written as ::ffff:a.b.c.d/… cover IPv4 targets too.
      if (network === 'ipv4') related.push(ipaddr.fromByteArray([...IPV4_MAPPED_PREFIX, ...bytes]));
      else if (inner) related.push(inner);
      const d = denied(related);
      if (d) return { dial: false, reason: d };
    }
    const route = routes[network] ?? { kind: 'direct' };
    if (route.kind === 'socks' && route.type === 4 && network !== 'ipv4')
      return { dial: false, reason: `a SOCKS4 proxy cannot reach ${network} addresses` };
    return { dial: true, route, target: { network, host: canonical } };
  };

  const decideOverlay = (network: 'onion' | 'i2p', host: string): Decision => {
    let canonical: string;
    try {
      canonical = addressFromBytes(network, addressToBytes(network, host));
    } catch {
      const want = network === 'onion' ? 'a v3 .onion name' : 'a .b32.i2p name';
      return { dial: false, reason: `invalid ${network} host "${host}": expected ${want}` };
    }
    const route = routes[network];
    // The reason names the flag and variable that would change it.
    const missing = `no proxy configured for ${network} (--proxy-${network} URL, or PROXY_${network.toUpperCase()})`;
    return route
      ? { dial: true, route, target: { network, host: canonical } }
      : { dial: false, reason: missing };
  };

  return {
    decide(target, opts = {}) {
      const { network, host, port } = target;
      if (typeof host !== 'string' || host.length === 0 || host.length > MAX_HOST_LENGTH)
        return { dial: false, reason: `invalid ${network} host: empty or longer than ${MAX_HOST_LENGTH}` };
      if (port !== undefined && !opts.explicit) {
        const refused = gossipPortRule(network, port, config.allowBadPorts);
        if (refused) return refused;
      }
      try {
        switch (network) {
          case 'onion':
          case 'i2p':
            return decideOverlay(network, host);
          case 'cjdns':
            if (!config.cjdnsRoute)
              return {
                dial: false,
                reason: 'no CJDNS route on this host (--cjdns, CJDNS_ROUTE=true, says there is one)',
              };
            return decideIp('cjdns', host);
          case 'ipv4':
          case 'ipv6':
            return decideIp(network, host);
          default:
            return { dial: false, reason: `unknown network "${String(network)}"` };
        }
      } catch (err) {
        // Defensive: a target is data from peers; nothing about it may make a visit throw.
        return { dial: false, reason: `invalid target: ${(err as Error).message}`.slice(0, 300) };
      }
    },
  };
}
