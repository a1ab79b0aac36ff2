import { ProtocolError } from '../errors.ts';
import { addressFromBytes, addressToBytes } from './codec.ts';
import { i2pToHash } from './i2p.ts';
import { formatIPv4, parseIPv4, parseIPv6 } from './ip.ts';
import { onionToPubkey } from './tor.ts';
import { type Endpoint, NETWORKS, type Network } from './types.ts';

export interface ParseOptions {
  /** Treat fc00::/8 text as CJDNS (only when the operator has a CJDNS route). */
  cjdns?: boolean;
}

/** Any valid textual host to its network and canonical string; throws BAD_ADDRESS. */
export function parseHost(text: string, opts: ParseOptions = {}): { network: Network; host: string } {
  const t = text.trim();
  if (t.length === 0 || t.length > 100) throw new ProtocolError('BAD_ADDRESS', `invalid host: "${text}"`);
  const lower = t.toLowerCase();
  if (lower.endsWith('.onion'))
    return { network: 'onion', host: addressFromBytes('onion', onionToPubkey(lower)) };
  if (lower.endsWith('.b32.i2p')) return { network: 'i2p', host: addressFromBytes('i2p', i2pToHash(lower)) };
  const v4 = parseIPv4(t);
  if (v4) return { network: 'ipv4', host: formatIPv4(v4) };
  const bare = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  const v6 = parseIPv6(bare);
  if (v6) {
    const mapped = v6.subarray(0, 12).every((x, i) => x === (i < 10 ? 0 : 0xff));
    if (mapped) return { network: 'ipv4', host: formatIPv4(v6, 12) };
    const network: Network = opts.cjdns && v6[0] === 0xfc ? 'cjdns' : 'ipv6';
    return { network, host: addressFromBytes(network, v6) };
  }
  throw new ProtocolError('BAD_ADDRESS', `not an IPv4, IPv6, .onion (v3) or .b32.i2p address: "${text}"`);
}

/** "1.2.3.4:8333", "[2001:db8::1]:8333", "name.onion:8333" or a bare host (default port). */
export function parseEndpoint(text: string, defaultPort: number, opts: ParseOptions = {}): Endpoint {
  const t = text.trim();
  let hostText = t;
  let portText: string | undefined;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) throw new ProtocolError('BAD_ADDRESS', `missing ']' in "${text}"`);
    hostText = t.slice(1, close);
    const rest = t.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':'))
        throw new ProtocolError('BAD_ADDRESS', `unexpected "${rest}" after ']' in "${text}"`);
      portText = rest.slice(1);
    }
  } else {
    const colons = t.split(':').length - 1;
    if (colons === 1) {
      const i = t.indexOf(':');
      hostText = t.slice(0, i);
      portText = t.slice(i + 1);
    }
    // more than one colon without brackets: a bare IPv6 address, default port
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw new ProtocolError('BAD_ADDRESS', `invalid port "${portText}" in "${text}"`);
    }
    port = Number(portText);
  }
  const { network, host } = parseHost(hostText, opts);
  // I2P (SAM 3.1) has no ports and Core writes them as 0; anywhere else 0 is not dialable.
  if (port === 0 && network !== 'i2p') throw new ProtocolError('BAD_ADDRESS', `port 0 in "${text}"`);
  return { network, host, port };
}

/** The endpoint for people, as Core writes it ("1.2.3.4:8333", "[2001:db8::1]:8333"); not a key (CJDNS reads back as IPv6). */
export function formatEndpoint(e: Endpoint): string {
  return e.network === 'ipv6' || e.network === 'cjdns' ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/**
 * The endpoint's one text key, `network|host|port` (e.g. `ipv6|2001:db8::1|8333`): the BullMQ
 * job ids (queue's jobIdFor), the transport memory and anything else that keys endpoints by
 * text use it. It names the network (a CJDNS host is IPv6 text) and needs no parsing of hosts.
 * Its binary form, the frontier's Redis key, is endpointKey (packed.ts).
 */
export function endpointId(e: Endpoint): string {
  return `${e.network}|${e.host}|${e.port}`;
}

/** The endpoint an endpointId names; throws BAD_ADDRESS on any other text. */
export function parseEndpointId(id: string): Endpoint {
  const [network, host, port, ...rest] = id.split('|');
  if (
    !NETWORKS.includes(network as Network) ||
    !host ||
    port === undefined ||
    !/^\d{1,5}$/.test(port) ||
    Number(port) > 65535 ||
    rest.length > 0
  )
    throw new ProtocolError('BAD_ADDRESS', `not an endpoint id (network|host|port): "${id}"`);
  return { network: network as Network, host, port: Number(port) };
}

/** True when `host` is already the canonical string for `network` (never for mapped IPv4 on ipv6). */
export function isCanonicalHost(network: Network, host: string): boolean {
  try {
    return addressFromBytes(network, addressToBytes(network, host)) === host;
  } catch {
    return false;
  }
}
