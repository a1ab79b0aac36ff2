import { ProtocolError } from '../errors.ts';
import { i2pFromHash, i2pToHash } from './i2p.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';
import { onionFromPubkey, onionToPubkey } from './tor.ts';
import { ADDRESS_SIZE, BIP155_ID, type Network } from './types.ts';

/*
 * Conversions between canonical host strings and the raw bytes carried on the wire:
 * BIP155 (addrv2) form per network, and the legacy 16-byte form of addr v1 / version.
 */

const IPV4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const ONIONCAT_TORV2 = [0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43];
const CORE_INTERNAL = [0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24];

function hasPrefix(b: Uint8Array, off: number, prefix: readonly number[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (b[off + i] !== prefix[i]) return false;
  return true;
}

export function networkFromBip155Id(id: number): Network | undefined {
  switch (id) {
    case BIP155_ID.ipv4:
      return 'ipv4';
    case BIP155_ID.ipv6:
      return 'ipv6';
    case BIP155_ID.onion:
      return 'onion';
    case BIP155_ID.i2p:
      return 'i2p';
    case BIP155_ID.cjdns:
      return 'cjdns';
    default:
      return undefined;
  }
}

/**
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4, as Core stores it: its one canonical form is the
 * dotted IPv4 on network ipv4. So addressToBytes('ipv6', mapped) still returns its 16 bytes
 * (input is canonicalised, e.g. by parseHost or isIPv4Mapped + the last 4 bytes), but no ipv6
 * host string is canonical for it: addressFromBytes('ipv6', mapped) throws and
 * isCanonicalHost('ipv6', mapped) is false. Otherwise one peer would have two identities.
 */
function mappedError(v4: string): ProtocolError {
  return new ProtocolError('BAD_ADDRESS', `IPv4-mapped address is not an ipv6 host: use ipv4 ${v4}`);
}

/** True for 16 bytes in ::ffff:0:0/96, i.e. an IPv4 address in IPv6 form. */
export function isIPv4Mapped(b: Uint8Array): boolean {
  return b.length === 16 && hasPrefix(b, 0, IPV4_MAPPED);
}

/** Raw bytes to canonical host. Throws BAD_ADDRESS on a wrong length or an invalid encoding. */
export function addressFromBytes(network: Network, b: Uint8Array): string {
  if (b.length !== ADDRESS_SIZE[network]) {
    throw new ProtocolError(
      'BAD_ADDRESS',
      `${network} address must be ${ADDRESS_SIZE[network]} bytes, got ${b.length}`,
    );
  }
  switch (network) {
    case 'ipv4':
      return formatIPv4(b);
    case 'ipv6':
      if (hasPrefix(b, 0, IPV4_MAPPED)) throw mappedError(formatIPv4(b, 12));
      return formatIPv6(b);
    case 'cjdns':
      if (b[0] !== 0xfc) throw new ProtocolError('BAD_ADDRESS', 'CJDNS address must start with 0xfc');
      return formatIPv6(b);
    case 'onion':
      return onionFromPubkey(b);
    case 'i2p':
      return i2pFromHash(b);
  }
}

/** Canonical (or any valid) host text to raw BIP155 bytes for its network. */
export function addressToBytes(network: Network, host: string): Uint8Array {
  let out: Uint8Array | undefined;
  switch (network) {
    case 'ipv4':
      out = parseIPv4(host);
      break;
    case 'ipv6':
      // A mapped literal is accepted here (its bytes are well defined); it is never canonical.
      out = parseIPv6(host);
      break;
    case 'cjdns':
      out = parseIPv6(host);
      if (out && out[0] !== 0xfc) out = undefined;
      break;
    case 'onion':
      return onionToPubkey(host);
    case 'i2p':
      return i2pToHash(host);
  }
  if (!out) throw new ProtocolError('BAD_ADDRESS', `not a valid ${network} address: ${host}`);
  return out;
}

/**
 * Decodes one addrv2 address. Returns undefined for entries Core would not use (unknown
 * network ids, Tor v2, IPv6 entries embedding IPv4/Tor v2/internal prefixes, CJDNS outside
 * fc00::/8); throws BAD_ADDRESS only for a known network with the wrong length, which
 * makes Core reject the whole message.
 */
export function decodeBip155(id: number, b: Uint8Array): { network: Network; host: string } | undefined {
  const network = bip155Kept(id, b, 0, b.length);
  if (network === undefined) return undefined;
  return { network, host: addressFromBytes(network, b) };
}

/**
 * The rule of decodeBip155 without the host string, over `len` bytes of `b` at `at`: the
 * network of an entry Core would use, undefined for one it skips, BAD_ADDRESS for a known
 * network with the wrong length. Every kept address formats and parses back to these bytes.
 */
export function bip155Kept(id: number, b: Uint8Array, at: number, len: number): Network | undefined {
  const network = networkFromBip155Id(id);
  if (network === undefined) return undefined;
  if (len !== ADDRESS_SIZE[network]) {
    throw new ProtocolError(
      'BAD_ADDRESS',
      `BIP155 network ${id} (${network}) needs ${ADDRESS_SIZE[network]} address bytes, got ${len}`,
    );
  }
  if (network === 'ipv6') {
    if (
      hasPrefix(b, at, IPV4_MAPPED) ||
      hasPrefix(b, at, ONIONCAT_TORV2) ||
      hasPrefix(b, at, CORE_INTERNAL)
    ) {
      return undefined;
    }
  }
  // Core accepts the length and only marks such an address invalid, so the entry is dropped.
  if (network === 'cjdns' && b[at] !== 0xfc) return undefined;
  return network;
}

/** Legacy 16-byte form at `off`: 'ipv4' when IPv4-mapped, undefined for Tor v2 onioncat and internal, else 'ipv6'. */
export function legacyNetwork(b: Uint8Array, off: number): 'ipv4' | 'ipv6' | undefined {
  if (hasPrefix(b, off, IPV4_MAPPED)) return 'ipv4';
  if (hasPrefix(b, off, ONIONCAT_TORV2) || hasPrefix(b, off, CORE_INTERNAL)) return undefined;
  return 'ipv6';
}

/**
 * Legacy 16-byte form (addr v1, version): IPv4-mapped -> ipv4, else ipv6. Core cannot tell
 * CJDNS from IPv6 here, so fc00::/8 stays ipv6. Tor v2 onioncat and internal -> undefined.
 */
export function legacyBytesToAddress(b: Uint8Array, off = 0): { network: Network; host: string } | undefined {
  const network = legacyNetwork(b, off);
  if (network === 'ipv4') return { network, host: formatIPv4(b, off + 12) };
  if (network === 'ipv6') return { network, host: formatIPv6(b, off) };
  return undefined;
}

/** The 16-byte legacy form, or undefined for networks addr v1 cannot carry. */
export function addressToLegacyBytes(network: Network, host: string): Uint8Array | undefined {
  if (network === 'ipv4') {
    const out = new Uint8Array(16);
    out.set(IPV4_MAPPED, 0);
    out.set(addressToBytes('ipv4', host), 12);
    return out;
  }
  if (network === 'ipv6') return addressToBytes('ipv6', host);
  return undefined;
}
