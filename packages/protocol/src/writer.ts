import { ProtocolError } from './errors.ts';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * Out-of-range values are refused rather than wrapped: DataView would silently write
 * 2^32+5 as 5 or 70000 as 4464, putting a different value on the wire than the caller meant.
 * The code is MALFORMED (the message to encode is malformed); no separate code exists for it.
 */
function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ProtocolError('MALFORMED', `cannot encode ${v} as ${what} (${min}..${max})`);
  }
}

function checkBig(v: bigint, min: bigint, max: bigint, what: string): void {
  if (typeof v !== 'bigint' || v < min || v > max) {
    throw new ProtocolError('MALFORMED', `cannot encode ${v} as ${what} (${min}..${max})`);
  }
}

/** A growable little-endian writer for encoding payloads. Every method range-checks its value. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves n bytes and returns their offset (may replace buf and view: read them after). */
  private ensure(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.pos = at + n;
    return at;
  }

  u8(v: number): this {
    checkInt(v, 0, 0xff, 'u8');
    const at = this.ensure(1);
    this.buf[at] = v;
    return this;
  }
  u16le(v: number): this {
    checkInt(v, 0, 0xffff, 'u16');
    const at = this.ensure(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u16be(v: number): this {
    checkInt(v, 0, 0xffff, 'u16');
    const at = this.ensure(2);
    this.view.setUint16(at, v, false);
    return this;
  }
  u32le(v: number): this {
    checkInt(v, 0, 0xffff_ffff, 'u32');
    const at = this.ensure(4);
    this.view.setUint32(at, v, true);
    return this;
  }
  i32le(v: number): this {
    checkInt(v, -0x8000_0000, 0x7fff_ffff, 'i32');
    const at = this.ensure(4);
    this.view.setInt32(at, v, true);
    return this;
  }
  u64le(v: bigint): this {
    checkBig(v, 0n, U64_MAX, 'u64');
    const at = this.ensure(8);
    this.view.setBigUint64(at, v, true);
    return this;
  }
  i64le(v: bigint): this {
    checkBig(v, I64_MIN, I64_MAX, 'i64');
    const at = this.ensure(8);
    this.view.setBigInt64(at, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.ensure(b.length);
    this.buf.set(b, at);
    return this;
  }
  /** CompactSize, always in its shortest (canonical) form. */
  varint(v: number | bigint): this {
    if (typeof v === 'number') checkInt(v, 0, Number.MAX_SAFE_INTEGER, 'CompactSize');
    const n = BigInt(v);
    checkBig(n, 0n, U64_MAX, 'CompactSize');
    if (n < 0xfdn) return this.u8(Number(n));
    if (n <= 0xffffn) return this.u8(0xfd).u16le(Number(n));
    if (n <= 0xffff_ffffn) return this.u8(0xfe).u32le(Number(n));
    return this.u8(0xff).u64le(n);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
