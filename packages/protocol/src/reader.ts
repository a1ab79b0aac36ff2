import { ProtocolError } from './errors.ts';

/**
 * A bounds-checked little-endian reader over one payload. Every read past the end
 * throws ProtocolError('TRUNCATED'), so decoders never see undefined bytes.
 */
/** Lazily filled BigInts for 0..65535 (u64 values that small are almost all service bits). */
const SMALL_U64: (bigint | undefined)[] = new Array(65_536);

/** A little-endian u64 at `at` of `view`, small values (service bits) as shared BigInts. */
export function u64leAt(view: DataView, at: number): bigint {
  if (view.getUint32(at + 4, true) === 0) {
    const lo = view.getUint32(at, true);
    if (lo < SMALL_U64.length) return smallU64(lo);
  }
  return view.getBigUint64(at, true);
}

/** The shared BigInt for v in 0..65535. */
function smallU64(v: number): bigint {
  const cached = SMALL_U64[v];
  if (cached !== undefined) return cached;
  const big = BigInt(v);
  SMALL_U64[v] = big;
  return big;
}

export class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      throw new ProtocolError(
        'TRUNCATED',
        `payload truncated: need ${n} bytes at ${at}, have ${this.buf.length - at}`,
      );
    }
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1)] as number;
  }
  u16le(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u16be(): number {
    return this.view.getUint16(this.need(2), false);
  }
  u32le(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32le(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64le(): bigint {
    // Service bits are small and few: reuse their BigInts instead of allocating one per address.
    return u64leAt(this.view, this.need(8));
  }
  i64le(): bigint {
    return this.view.getBigInt64(this.need(8), true);
  }
  /** Passes over n bytes (bounds-checked) and returns their offset in `buf`: a read without a copy or a view. */
  skip(n: number): number {
    return this.need(n);
  }
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** CompactSize as bigint (values up to 2^64-1). Non-canonical encodings are MALFORMED, as in Core. */
  varintBig(): bigint {
    const first = this.u8();
    if (first < 0xfd) return smallU64(first);
    if (first === 0xfd) {
      const v = this.u16le();
      if (v < 0xfd) throw new ProtocolError('MALFORMED', 'non-canonical CompactSize');
      return smallU64(v); // addrv2 carries services as a CompactSize: 0xc09 is 3 bytes
    }
    if (first === 0xfe) {
      const v = this.u32le();
      if (v < 0x10000) throw new ProtocolError('MALFORMED', 'non-canonical CompactSize');
      return BigInt(v);
    }
    const v = this.u64le();
    if (v < 0x1_0000_0000n) throw new ProtocolError('MALFORMED', 'non-canonical CompactSize');
    return v;
  }

  /** CompactSize used as a count or length: must be <= max (which is far below 2^53). */
  varint(max: number): number {
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0xfd) {
      this.pos++;
      if (first > max) throw new ProtocolError('MALFORMED', `size ${first} exceeds limit ${max}`);
      return first;
    }
    const v = this.varintBig();
    if (v > BigInt(max)) throw new ProtocolError('MALFORMED', `size ${v} exceeds limit ${max}`);
    return Number(v);
  }
}
