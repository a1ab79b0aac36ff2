import { ProtocolError } from '../errors.ts';
import type { AddrEntry } from '../messages/addr.ts';
import { MAX_ADDRV2_ADDRESS_LENGTH } from '../messages/addrv2.ts';
import { addressToBytes, decodeBip155, isIPv4Mapped, networkFromBip155Id } from './codec.ts';
import { parseIPv4Into } from './ip.ts';
import { ADDRESS_SIZE, BIP155_ID, type Endpoint, type Network } from './types.ts';

/**
 * A getaddr answer carried compactly from the session to storage: the distinct entries as one
 * BIP155 `addrv2` payload (compact-size count, then time, services, network id, address, port
 * per entry). One buffer per visit instead of up to thousands of objects: the frontier's Lua
 * admission reads the entries' keys out of it, the stream carries it as one binary field, and
 * the ingester walks it once into ClickHouse rows. Unlike a wire message it may hold more than
 * 1000 entries (an answer split over several messages is merged).
 */
export type PackedAddrs = Uint8Array;

/** Entries a packed list may hold: the crawler's largest per-visit answer cap. */
export const MAX_PACKED_ENTRIES = 10_000;

export const EMPTY_PACKED: PackedAddrs = Uint8Array.of(0);

const WIRE_ID: Record<Network, number> = BIP155_ID;

/**
 * Packs decoded entries (canonical hosts: mapped IPv6 is stored as the IPv4 it is). Written by
 * hand into one buffer: a session packs up to 1,000 entries per visit, and the general Writer
 * (BigInt compact sizes, an array per parsed address) cost several times more.
 */
export function packAddrs(entries: readonly AddrEntry[]): PackedAddrs {
  if (entries.length === 0) return EMPTY_PACKED;
  if (entries.length > MAX_PACKED_ENTRIES)
    throw new ProtocolError('TOO_MANY_ENTRIES', `${entries.length} entries (limit ${MAX_PACKED_ENTRIES})`);
  // At most 4 + 9 + 1 + 1 + 32 + 2 bytes an entry (every network we keep is at most 32 bytes).
  const out = Buffer.allocUnsafe(3 + entries.length * 49);
  let at = 0;
  const n = entries.length;
  if (n < 0xfd) out[at++] = n;
  else {
    out[at++] = 0xfd;
    out.writeUInt16LE(n, at);
    at += 2;
  }
  for (const a of entries) {
    out.writeUInt32LE(a.time, at);
    at += 4;
    at = writeServices(out, at, a.services);
    if (a.network === 'ipv4') {
      out[at++] = WIRE_ID.ipv4;
      out[at++] = 4;
      if (!parseIPv4Into(a.host, out, at))
        throw new ProtocolError('BAD_ADDRESS', `not a valid ipv4 address: ${a.host}`);
      at += 4;
    } else {
      let bytes = addressToBytes(a.network, a.host);
      let id = WIRE_ID[a.network];
      if (a.network === 'ipv6' && isIPv4Mapped(bytes)) {
        bytes = bytes.subarray(12);
        id = WIRE_ID.ipv4;
      }
      out[at++] = id;
      out[at++] = bytes.length;
      out.set(bytes, at);
      at += bytes.length;
    }
    out.writeUInt16BE(a.port, at);
    at += 2;
  }
  return out.subarray(0, at);
}

/** Services as a canonical compact size. */
function writeServices(out: Buffer, at: number, v: bigint): number {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn)
    throw new ProtocolError('MALFORMED', `services ${v} is not a uint64`);
  if (v < 0xfdn) {
    out[at] = Number(v);
    return at + 1;
  }
  if (v <= 0xffffn) {
    out[at] = 0xfd;
    out.writeUInt16LE(Number(v), at + 1);
    return at + 3;
  }
  if (v <= 0xffff_ffffn) {
    out[at] = 0xfe;
    out.writeUInt32LE(Number(v), at + 1);
    return at + 5;
  }
  out[at] = 0xff;
  out.writeBigUInt64LE(v, at + 1);
  return at + 9;
}

/**
 * One entry of a packed list, as `walkPacked` presents it: a cursor that is overwritten for
 * each entry (no object per entry). Offsets are into the packed buffer.
 */
export interface PackedCursor {
  index: number;
  time: number;
  /** Services when they fit in 53 bits (every real value); otherwise -1: see `cursorServices`. */
  services: number;
  /** Internal: the wide value, or -1n when `services` holds it. Read it through `cursorServices`. */
  servicesBig: bigint;
  id: number;
  addrAt: number;
  addrLen: number;
  port: number;
  /** Where the entry starts (its time field); it ends at keyEnd. */
  entryAt: number;
  /** The entry's key: network id, address length, address and port (the frontier's dedup key). */
  keyAt: number;
  keyEnd: number;
}

function fail(msg: string): never {
  throw new ProtocolError('MALFORMED', `packed addresses: ${msg}`);
}

/**
 * A compact-size at `at` wider than one byte: [value, next offset, big value]. Two- and
 * four-byte forms (every real services value) are read as numbers; an eight-byte one as a
 * number when it fits in 53 bits, else value -1 and the bigint.
 */
function wideCompactSize(b: Uint8Array, at: number): [number, number, bigint] {
  const first = b[at] as number;
  const len = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
  if (at + 1 + len > b.length) fail('truncated');
  const lo = (b[at + 1] as number) | ((b[at + 2] as number) << 8);
  if (len === 2) return [lo, at + 3, -1n];
  const lo32 = lo + ((b[at + 3] as number) << 16) + (b[at + 4] as number) * 0x1000000;
  if (len === 4) return [lo32, at + 5, -1n];
  const hi32 =
    ((b[at + 5] as number) | ((b[at + 6] as number) << 8) | ((b[at + 7] as number) << 16)) +
    (b[at + 8] as number) * 0x1000000;
  if (hi32 < 0x200000) return [hi32 * 0x100000000 + lo32, at + 9, -1n];
  return [-1, at + 9, (BigInt(hi32) << 32n) | BigInt(lo32)];
}

/** How many entries a packed list holds (its count prefix), and where the first entry starts. */
function countAndStart(p: PackedAddrs): [number, number] {
  if (p.length === 0) fail('truncated');
  const [n, at] = (p[0] as number) < 0xfd ? [p[0] as number, 1] : wideCompactSize(p, 0);
  if (n < 0 || n > MAX_PACKED_ENTRIES) fail(`count over ${MAX_PACKED_ENTRIES}`);
  return [n, at];
}

/** How many entries a packed list holds (its count prefix). */
export function packedCount(p: PackedAddrs): number {
  return countAndStart(p)[0];
}

/**
 * Calls `each` for every entry, in order, with one reused cursor (no allocation per entry on
 * the common path). Throws a ProtocolError (MALFORMED) for a list that is not well formed:
 * truncated, trailing bytes, an address longer than BIP155 allows.
 */
export function walkPacked(p: PackedAddrs, each: (c: PackedCursor) => void): number {
  const c: PackedCursor = {
    index: 0,
    time: 0,
    services: 0,
    servicesBig: 0n,
    id: 0,
    addrAt: 0,
    addrLen: 0,
    port: 0,
    entryAt: 0,
    keyAt: 0,
    keyEnd: 0,
  };
  const [count, start] = countAndStart(p);
  const n = p.length;
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 5 > n) fail('truncated');
    c.index = i;
    c.entryAt = at;
    c.time =
      ((p[at] as number) | ((p[at + 1] as number) << 8) | ((p[at + 2] as number) << 16)) +
      (p[at + 3] as number) * 0x1000000;
    at += 4;
    // Services: read in place for the 1-, 3- and 5-byte forms (every real value), no tuple.
    const s0 = p[at] as number;
    c.servicesBig = -1n; // only for values past 2^53 (see cursorServices)
    if (s0 < 0xfd) {
      c.services = s0;
      at += 1;
    } else if (s0 === 0xfd && at + 3 <= n) {
      c.services = (p[at + 1] as number) | ((p[at + 2] as number) << 8);
      at += 3;
    } else if (s0 === 0xfe && at + 5 <= n) {
      c.services =
        ((p[at + 1] as number) | ((p[at + 2] as number) << 8) | ((p[at + 3] as number) << 16)) +
        (p[at + 4] as number) * 0x1000000;
      at += 5;
    } else {
      const [v, next, big] = wideCompactSize(p, at);
      c.services = v;
      c.servicesBig = big;
      at = next;
    }
    c.keyAt = at;
    if (at + 2 > n) fail('truncated');
    c.id = p[at] as number;
    let len = p[at + 1] as number;
    at += 2;
    if (len >= 0xfd) {
      const [v, next] = wideCompactSize(p, at - 1);
      len = v;
      at = next;
    }
    if (len < 0 || len > MAX_ADDRV2_ADDRESS_LENGTH) fail(`address of ${len} bytes`);
    c.addrAt = at;
    c.addrLen = len;
    at += len + 2;
    if (at > n) fail('truncated');
    c.port = ((p[at - 2] as number) << 8) | (p[at - 1] as number);
    c.keyEnd = at;
    each(c);
  }
  if (at !== n) fail(`${n - at} trailing bytes`);
  return count;
}

/** The entry's services as a bigint (the cursor keeps small values as numbers only). */
export function cursorServices(c: PackedCursor): bigint {
  return c.servicesBig >= 0n ? c.servicesBig : BigInt(c.services);
}

/**
 * Checks a packed list whole, as storage needs it: well formed (walkPacked) and every entry of
 * a network we store, with that network's address length. Throws MALFORMED naming the entry.
 */
export function checkPacked(p: PackedAddrs): number {
  return walkPacked(p, (c) => {
    const network = networkFromBip155Id(c.id);
    if (network === undefined) fail(`entry ${c.index}: network id ${c.id}`);
    if (c.addrLen !== ADDRESS_SIZE[network])
      fail(`entry ${c.index}: ${network} address of ${c.addrLen} bytes`);
  });
}

/** The entries as objects (for output and tests; the crawl's own path never needs this). */
export function unpackAddrs(p: PackedAddrs): AddrEntry[] {
  const out: AddrEntry[] = [];
  walkPacked(p, (c) => {
    const addr = decodeBip155(c.id, p.subarray(c.addrAt, c.addrAt + c.addrLen));
    if (!addr) fail(`entry ${c.index}: network id ${c.id} is not one a crawl keeps`);
    out.push({
      time: c.time,
      services: cursorServices(c),
      network: addr.network,
      host: addr.host,
      port: c.port,
    });
  });
  return out;
}

/**
 * The frontier's key for an endpoint: the same bytes as a packed entry's key (network id,
 * address length, address, big-endian port), so seeds and harvested entries share one set.
 */
export function endpointKey(e: Endpoint): Buffer {
  let bytes = addressToBytes(e.network, e.host);
  let id = WIRE_ID[e.network];
  if (e.network === 'ipv6' && isIPv4Mapped(bytes)) {
    bytes = bytes.subarray(12);
    id = WIRE_ID.ipv4;
  }
  const key = Buffer.allocUnsafe(bytes.length + 4);
  key[0] = id;
  key[1] = bytes.length;
  key.set(bytes, 2);
  key.writeUInt16BE(e.port, bytes.length + 2);
  return key;
}

/** The endpoint a frontier key names (inverse of endpointKey). */
export function endpointFromKey(key: Uint8Array): Endpoint {
  const len = key[1] as number;
  if (key.length !== len + 4) throw new ProtocolError('MALFORMED', `endpoint key of ${key.length} bytes`);
  const addr = decodeBip155(key[0] as number, key.subarray(2, 2 + len));
  if (!addr) throw new ProtocolError('MALFORMED', `endpoint key with network id ${key[0]}`);
  return {
    network: addr.network,
    host: addr.host,
    port: ((key[len + 2] as number) << 8) | (key[len + 3] as number),
  };
}
