import { bip155Kept, legacyNetwork, networkFromBip155Id } from '../address/codec.ts';
import type { PackedList } from '../address/packed-list.ts';
import { ADDRESS_SIZE } from '../address/types.ts';
import { ProtocolError } from '../errors.ts';
import { Reader } from '../reader.ts';
import { readAddrCount } from './addr.ts';
import { MAX_ADDRV2_ADDRESS_LENGTH } from './addrv2.ts';

/**
 * addr / addrv2 decoded straight into a packed list, for the crawl session: the same rules,
 * errors (code and message) and skipped entries as decodeAddr / decodeAddrV2, and the same
 * bytes as packAddrs of their entries, but no host string and no object per entry (a Tor v3
 * entry would otherwise cost a SHA3 checksum and base32 only to be parsed back into bytes).
 */
export interface PackedAddrMessage {
  command: 'addr' | 'addrv2';
  packed: PackedList;
  /** As in AddrMessage / AddrV2Message: entries dropped by Core's rules. */
  skipped: number;
}

const V1_ENTRY_SIZE = 30;
/** Largest packed form of a v1 entry: time 4, services 9, id 1, length 1, IPv6 16, port 2. */
const V1_PACKED_MAX = 33;
/** Largest kept addrv2 entry: time 4, services 9, id 1, length 1, 32-byte address, port 2. */
const V2_PACKED_MAX = 49;

export function decodeAddrPacked(command: 'addr' | 'addrv2', payload: Uint8Array): PackedAddrMessage {
  return command === 'addr'
    ? { command, ...decodeAddrV1Packed(payload) }
    : { command, ...decodeAddrV2Packed(payload) };
}

function decodeAddrV2Packed(payload: Uint8Array): { packed: PackedList; skipped: number } {
  const r = new Reader(payload);
  const count = readAddrCount(r, 'addrv2');
  // A kept entry is copied verbatim: the wire's services and length are canonical CompactSizes
  // (the reader refuses others) and a kept address is its own canonical bytes. Sized by what
  // can be kept, not by the payload: skipped entries may be 512-byte addresses.
  const out = new Uint8Array(Math.min(payload.length - r.pos, count * V2_PACKED_MAX));
  const starts = new Uint32Array(count + 1);
  const p = payload;
  const size = p.length;
  let n = 0;
  let at = 0;
  let skipped = 0;
  // Kept entries are copied in runs (usually one per message), not one subarray per entry.
  let runStart = 0;
  let runEnd = -1;
  let runOut = 0;
  let pos = r.pos;
  for (let i = 0; i < count; i++) {
    const begin = pos;
    let kept: boolean;
    // The common entry read in place: services in 1 or 3 canonical bytes, a one-byte length
    // and the whole entry present, of a network whose length it has. Anything else is read
    // by slowEntry, the decodeAddrV2 sequence, which throws exactly its errors.
    const s0 = p[begin + 4] as number;
    const k = s0 < 0xfd ? begin + 5 : s0 === 0xfd ? begin + 7 : -1;
    const len = p[k + 1] as number;
    const fast =
      k > 0 &&
      k + 2 <= size &&
      len < 0xfd &&
      k + 4 + len <= size &&
      (s0 !== 0xfd || ((p[begin + 5] as number) | ((p[begin + 6] as number) << 8)) >= 0xfd);
    if (fast) {
      const id = p[k] as number;
      const network = networkFromBip155Id(id);
      if (network !== undefined && len !== ADDRESS_SIZE[network]) slowEntry(r, begin, i); // throws its error
      kept = network !== undefined && (id === 1 || bip155Kept(id, p, k + 2, len) !== undefined);
      pos = k + 4 + len;
    } else {
      kept = slowEntry(r, begin, i);
      pos = r.pos;
    }
    if (!kept) {
      skipped++;
      continue;
    }
    if (begin !== runEnd) {
      if (runEnd >= 0) out.set(p.subarray(runStart, runEnd), runOut);
      runStart = begin;
      runOut = at;
    }
    runEnd = pos;
    starts[n++] = at;
    at += pos - begin;
  }
  if (runEnd >= 0) out.set(p.subarray(runStart, runEnd), runOut);
  starts[n] = at;
  return { packed: { bytes: out, starts, count: n }, skipped };
}

/**
 * Entry `i` at `begin` read as decodeAddrV2 reads it (same reads, same order, same errors);
 * leaves `r` after the entry. Returns whether the entry is kept.
 */
function slowEntry(r: Reader, begin: number, i: number): boolean {
  r.pos = begin;
  r.u32le();
  r.varintBig();
  const id = r.u8();
  const len = r.varint(MAX_ADDRV2_ADDRESS_LENGTH);
  const addrAt = r.skip(len);
  let kept = id === 1 && len === 4;
  if (!kept) {
    // The address is judged before the port is read, as decodeAddrV2 (and Core) do.
    try {
      kept = bip155Kept(id, r.buf, addrAt, len) !== undefined;
    } catch (err) {
      if (err instanceof ProtocolError)
        throw new ProtocolError('MALFORMED', `addrv2 entry ${i}: ${err.message}`);
      throw err;
    }
  }
  r.u16be();
  return kept;
}

function decodeAddrV1Packed(payload: Uint8Array): { packed: PackedList; skipped: number } {
  const r = new Reader(payload);
  const count = readAddrCount(r, 'addr');
  if (r.remaining < count * V1_ENTRY_SIZE) {
    throw new ProtocolError('TRUNCATED', `addr declares ${count} entries but carries ${r.remaining} bytes`);
  }
  const out = new Uint8Array(count * V1_PACKED_MAX);
  const starts = new Uint32Array(count + 1);
  const p = payload;
  let n = 0;
  let at = 0;
  let skipped = 0;
  for (let i = 0, off = r.pos; i < count; i++, off += V1_ENTRY_SIZE) {
    const network = legacyNetwork(p, off + 12);
    if (network === undefined) {
      skipped++;
      continue;
    }
    starts[n++] = at;
    out[at] = p[off] as number;
    out[at + 1] = p[off + 1] as number;
    out[at + 2] = p[off + 2] as number;
    out[at + 3] = p[off + 3] as number;
    at = writeServices(out, at + 4, p, off + 4);
    if (network === 'ipv4') {
      out[at] = 1;
      out[at + 1] = 4;
      for (let j = 0; j < 4; j++) out[at + 2 + j] = p[off + 24 + j] as number;
      at += 6;
    } else {
      out[at] = 2;
      out[at + 1] = 16;
      for (let j = 0; j < 16; j++) out[at + 2 + j] = p[off + 12 + j] as number;
      at += 18;
    }
    out[at] = p[off + 28] as number;
    out[at + 1] = p[off + 29] as number;
    at += 2;
  }
  starts[n] = at;
  return { packed: { bytes: out, starts, count: n }, skipped };
}

/** v1's little-endian u64 services at `from` as a canonical CompactSize at `at`; returns the end. */
function writeServices(out: Uint8Array, at: number, p: Uint8Array, from: number): number {
  let width = 8;
  while (width > 0 && p[from + width - 1] === 0) width--;
  // 1 byte for < 0xfd, else the smallest of the 2-, 4- and 8-byte forms that holds it.
  if (width === 0 || (width === 1 && (p[from] as number) < 0xfd)) {
    out[at] = width === 0 ? 0 : (p[from] as number);
    return at + 1;
  }
  const size = width <= 2 ? 2 : width <= 4 ? 4 : 8;
  out[at] = size === 2 ? 0xfd : size === 4 ? 0xfe : 0xff;
  for (let i = 0; i < size; i++) out[at + 1 + i] = p[from + i] as number;
  return at + 1 + size;
}
