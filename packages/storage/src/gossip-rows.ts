import { MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
import {
  addressFromBytes,
  cursorServices,
  MAX_PACKED_ENTRIES,
  networkFromBip155Id,
  type PackedCursor,
  walkPacked,
} from '@bitcrawl/protocol';

/**
 * The `gossip` table's columns in the order gossipRowBinary writes them, with the types it
 * writes them as (the table itself is declared by its migration; a store test holds the two
 * equal on both engines).
 */
export const GOSSIP_COLUMNS = [
  ['ts', "DateTime('UTC')"],
  ['crawl_id', 'String'],
  ['src_network', 'LowCardinality(String)'],
  ['src_host', 'String'],
  ['src_port', 'UInt16'],
  ['a_net', 'Array(UInt8)'],
  ['a_host', 'Array(String)'],
  ['a_port', 'Array(UInt16)'],
  ['a_services', 'Array(UInt64)'],
  ['a_time', "Array(DateTime('UTC'))"],
] as const;

/**
 * The `gossip` table's rows for a batch in ClickHouse's RowBinary format: one row per
 * observation that has an answer, its entries as parallel arrays. Built straight from each
 * packed answer in one walk: no object per gossiped address, and only the hosts as text. The
 * ingester writes a whole round's gossip through here (15 million entries in a mainnet-shaped
 * round). Measured against TabSeparated on 300 answers of 1,000 entries: 70-120 ms of
 * JavaScript against 110-165; chdb's insert 80-90 ms of CPU against 220-370; ClickHouse 18.16
 * the same within noise (ten inserts each: 1.4 s against 1.6 s wall).
 */
export function gossipRowBinary(batch: readonly Observation[]): {
  bytes: Buffer;
  rows: number;
  entries: number;
} {
  const out = new ByteWriter(64 * 1024);
  const cols = new Columns();
  let rows = 0;
  let entries = 0;
  for (const o of batch) {
    const p = o.addrs;
    if (p.length <= 1) continue; // empty answer (count 0)
    rows++;
    // One walk of the packed answer into column scratch arrays, then one array per column.
    const n = walkPacked(p, cols.take);
    entries += n;
    out.uint32(Math.min(Math.floor(o.ts / 1000), MAX_DATETIME_S));
    out.text(o.crawlId).text(o.network).text(o.host).uint16(o.port);
    out.reserved(n * MAX_ENTRY_BYTES + 5 * 5, (buf, at) => writeArrays(buf, at, p, n, cols));
  }
  return { bytes: out.finish(), rows, entries };
}

/**
 * An entry's most bytes across the five arrays: network id (1), a host (length byte and an
 * onion or I2P name of at most 62 characters), port (2), services (8) and time (4).
 */
const MAX_ENTRY_BYTES = 1 + 1 + 62 + 2 + 8 + 4;

/** The row's five arrays, each a length then its elements, at `at`; returns the end. */
function writeArrays(buf: Buffer, at: number, p: Uint8Array, n: number, cols: Columns): number {
  at = putVarUint(buf, at, n);
  for (let i = 0; i < n; i++) buf[at++] = cols.id[i] as number;
  at = putVarUint(buf, at, n);
  for (let i = 0; i < n; i++) {
    const from = cols.addrAt[i] as number;
    const len = cols.addrLen[i] as number;
    // Every host's text is shorter than 128 bytes, so its length is one byte, written last.
    const start = at++;
    if (cols.id[i] === 1 && len === 4) at = putIpv4(buf, at, p, from);
    else at += buf.write(hostOf(cols.id[i] as number, p.subarray(from, from + len)), at, 'latin1');
    buf[start] = at - start - 1;
  }
  at = putVarUint(buf, at, n);
  for (let i = 0; i < n; i++) {
    const v = cols.port[i] as number;
    buf[at++] = v & 0xff;
    buf[at++] = v >>> 8;
  }
  at = putVarUint(buf, at, n);
  for (let i = 0; i < n; i++) {
    const svc = cols.services[i] as number;
    if (svc >= 0) {
      putUint32(buf, at, svc >>> 0);
      putUint32(buf, at + 4, Math.floor(svc / 0x1_0000_0000));
    } else buf.writeBigUInt64LE(cols.big.get(i) as bigint, at);
    at += 8;
  }
  at = putVarUint(buf, at, n);
  for (let i = 0; i < n; i++) {
    putUint32(buf, at, cols.time[i] as number);
    at += 4;
  }
  return at;
}

/** A little-endian uint32 at `at`. */
function putUint32(buf: Buffer, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = v >>> 24;
}

/** An unsigned LEB128 (RowBinary's lengths) at `at`; returns the end. */
function putVarUint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[at++] = n;
  return at;
}

/** Per-entry fields of one packed answer, in reusable typed arrays (no object per entry). */
class Columns {
  id = new Uint8Array(MAX_PACKED_ENTRIES);
  addrAt = new Uint32Array(MAX_PACKED_ENTRIES);
  addrLen = new Uint16Array(MAX_PACKED_ENTRIES);
  port = new Uint16Array(MAX_PACKED_ENTRIES);
  time = new Uint32Array(MAX_PACKED_ENTRIES);
  services = new Float64Array(MAX_PACKED_ENTRIES);
  /** Services past 2^53, by entry index (never seen in practice, but a peer may send them). */
  big = new Map<number, bigint>();
  readonly take = (c: PackedCursor): void => {
    const i = c.index;
    if (i === 0) this.big.clear();
    this.id[i] = c.id;
    this.addrAt[i] = c.addrAt;
    this.addrLen[i] = c.addrLen;
    this.port[i] = c.port;
    // A peer may claim any uint32 time (0xffffffff is common junk); later than the last second
    // every engine stores, it is stored as that second.
    this.time[i] = Math.min(c.time, MAX_DATETIME_S);
    this.services[i] = c.services;
    if (c.services < 0) this.big.set(i, cursorServices(c));
  };
}

/** A host's text: canonical, so only [0-9a-z.:], at most 62 characters. */
function hostOf(id: number, bytes: Uint8Array): string {
  const network = networkFromBip155Id(id);
  if (!network) throw new Error(`gossip: network id ${id} cannot be stored`);
  return addressFromBytes(network, bytes);
}

/** The dotted quad of the 4 bytes of `b` at `from`, written at `at`; returns the end. */
function putIpv4(buf: Buffer, at: number, b: Uint8Array, from: number): number {
  for (let i = 0; i < 4; i++) {
    if (i > 0) buf[at++] = 0x2e;
    const v = b[from + i] as number;
    if (v >= 100) buf[at++] = 0x30 + Math.floor(v / 100);
    if (v >= 10) buf[at++] = 0x30 + (Math.floor(v / 10) % 10);
    buf[at++] = 0x30 + (v % 10);
  }
  return at;
}

/**
 * A growable byte buffer with the few RowBinary writes the rows need (exported for its test).
 * Its memory is never Node's shared pool, so the finished bytes can be transferred to another
 * thread.
 */
export class ByteWriter {
  private buf: Buffer;
  private at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  uint16(n: number): this {
    this.room(2);
    this.buf[this.at++] = n & 0xff;
    this.buf[this.at++] = (n >>> 8) & 0xff;
    return this;
  }
  uint32(n: number): this {
    this.room(4);
    putUint32(this.buf, this.at, n);
    this.at += 4;
    return this;
  }
  /** A String: its UTF-8 length as LEB128, then the bytes. */
  text(s: string): this {
    const len = Buffer.byteLength(s);
    this.room(len + 5);
    this.at = putVarUint(this.buf, this.at, len);
    this.at += this.buf.write(s, this.at);
    return this;
  }
  /** Up to `most` bytes written by `write` straight into the buffer (it returns where it stopped). */
  reserved(most: number, write: (buf: Buffer, at: number) => number): this {
    this.room(most);
    const end = write(this.buf, this.at);
    if (end > this.at + most) throw new Error(`gossip: a row overran its ${most} reserved bytes`);
    this.at = end;
    return this;
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
