import { ProtocolError } from '../errors.ts';
import type { AddrEntry } from '../messages/addr.ts';
import {
  EMPTY_PACKED,
  MAX_PACKED_ENTRIES,
  type PackedAddrs,
  packAddrs,
  packedCount,
  walkPacked,
} from './packed.ts';

/**
 * Entries in packed form (each as in PackedAddrs: time, services, network id, address length,
 * address, port), back to back and without the count prefix, with where each one starts: what
 * the crawl session harvests, de-duplicates and concatenates without a string or an object
 * per entry. `starts[i]` is entry i's offset in `bytes`, `starts[count]` the end of the last.
 * `bytes` and `starts` may be longer than used (a list grows in place).
 */
export interface PackedList {
  bytes: Uint8Array;
  starts: Uint32Array;
  count: number;
}

export const EMPTY_LIST: PackedList = { bytes: new Uint8Array(0), starts: new Uint32Array(1), count: 0 };

/** Where the key (network id, length, address, port) of the entry at `at` starts: past time and services. */
export function keyStart(b: Uint8Array, at: number): number {
  const s0 = b[at + 4] as number;
  return at + (s0 < 0xfd ? 5 : s0 === 0xfd ? 7 : s0 === 0xfe ? 9 : 13);
}

/** The services of the entry at `at`, as a bigint (for the rare entry that needs them). */
export function servicesAt(b: Uint8Array, at: number): bigint {
  const s0 = b[at + 4] as number;
  if (s0 < 0xfd) return BigInt(s0);
  let v = 0n;
  const len = s0 === 0xfd ? 2 : s0 === 0xfe ? 4 : 8;
  for (let i = len; i >= 1; i--) v = (v << 8n) | BigInt(b[at + 4 + i] as number);
  return v;
}

/** The time of the entry at `at`. */
export function timeAt(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
    (b[at + 3] as number) * 0x1000000
  );
}

/** The list as PackedAddrs: its count prefix, then its entries (one copy; a Buffer, as packAddrs makes). */
export function packList(list: PackedList): PackedAddrs {
  const n = list.count;
  if (n === 0) return EMPTY_PACKED;
  if (n > MAX_PACKED_ENTRIES)
    throw new ProtocolError('TOO_MANY_ENTRIES', `${n} entries (limit ${MAX_PACKED_ENTRIES})`);
  const end = list.starts[n] as number;
  const head = n < 0xfd ? 1 : 3;
  const out = Buffer.allocUnsafe(head + end);
  if (n < 0xfd) out[0] = n;
  else {
    out[0] = 0xfd;
    out[1] = n & 0xff;
    out[2] = n >> 8;
  }
  out.set(list.bytes.subarray(0, end), head);
  return out;
}

/** Decoded entries as a packed list (canonical bytes, as packAddrs writes them). */
export function packedListOf(entries: readonly AddrEntry[]): PackedList {
  if (entries.length === 0) return EMPTY_LIST;
  return listOfPacked(packAddrs(entries));
}

/** A PackedAddrs as a list (validated by walkPacked: well formed, at most MAX_PACKED_ENTRIES). */
export function listOfPacked(p: PackedAddrs): PackedList {
  let base = 0;
  let starts = new Uint32Array(1);
  const count = walkPacked(p, (c) => {
    if (c.index === 0) {
      base = c.entryAt;
      starts = new Uint32Array(packedCount(p) + 1);
    }
    starts[c.index] = c.entryAt - base;
    starts[c.index + 1] = c.keyEnd - base;
  });
  if (count === 0) return EMPTY_LIST;
  return { bytes: p.subarray(base), starts, count };
}
