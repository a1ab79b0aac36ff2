import { ProtocolError } from './errors.ts';

/**
 * A bounds-checked little-endian reader over one payload. Every read past the end
 * throws ProtocolError('TRUNCATED'), so decoders never see undefined bytes.
 */
/** Lazily filled BigInts for 0..65535 (u64 values that small are almost all service bits). */
const SMALL_U64: (bigint | undefined)[] = new Array(65_536);

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
    const at = this.need(8);
    // Service bits are small and few: reuse their BigInts instead of allocating one per address.
    if (this.view.getUint32(at + 4, true) === 0) {
      const lo = this.view.getUint32(at, true);
      if (lo < SMALL_U64.length) {
        const cached = SMALL_U64[lo];
        if (cached !== undefined) return cached;
        const v = BigInt(lo);
        SMALL_U64[lo] = v;
        return v;
      }
    }
    return this.view.getBigUint64(at, true);
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
    if (first < 0xfd) return BigInt(first);
    if (first === 0xfd) {
      const v = this.u16le();
      if (v < 0xfd) throw new ProtocolError('MALFORMED', 'non-canonical CompactSize');
      return BigInt(v);
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

  /** Asserts the payload was consumed exactly; trailing bytes are malformed. */
  end(what: string): void {
    if (this.pos !== this.buf.length) {
      throw new ProtocolError(
        'MALFORMED',
        `${what}: ${this.buf.length - this.pos} unexpected trailing bytes`,
      );
    }
  }
}
