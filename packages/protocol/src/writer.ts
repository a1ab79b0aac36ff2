/** A growable little-endian writer for encoding payloads. */
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
    const at = this.ensure(1);
    this.buf[at] = v;
    return this;
  }
  u16le(v: number): this {
    const at = this.ensure(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u16be(v: number): this {
    const at = this.ensure(2);
    this.view.setUint16(at, v, false);
    return this;
  }
  u32le(v: number): this {
    const at = this.ensure(4);
    this.view.setUint32(at, v, true);
    return this;
  }
  i32le(v: number): this {
    const at = this.ensure(4);
    this.view.setInt32(at, v, true);
    return this;
  }
  u64le(v: bigint): this {
    const at = this.ensure(8);
    this.view.setBigUint64(at, v, true);
    return this;
  }
  i64le(v: bigint): this {
    const at = this.ensure(8);
    this.view.setBigInt64(at, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.ensure(b.length);
    this.buf.set(b, at);
    return this;
  }
  varint(v: number | bigint): this {
    const n = BigInt(v);
    if (n < 0xfdn) return this.u8(Number(n));
    if (n <= 0xffffn) return this.u8(0xfd).u16le(Number(n));
    if (n <= 0xffff_ffffn) return this.u8(0xfe).u32le(Number(n));
    return this.u8(0xff).u64le(n);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
