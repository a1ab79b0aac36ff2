import { MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
import { addressFromBytes, networkFromBip155Id, walkPacked } from '@bitcrawl/protocol';

/**
 * The `gossip` table's rows for a batch, as TabSeparated bytes: one row per observation that
 * has an answer, its entries as parallel arrays. Built straight from each packed answer in one
 * walk: no object per gossiped address, IPv4 hosts written digit by digit. TSV is the one
 * binary-safe bulk format both ClickHouse 18.16 (HTTP) and chdb's zero-copy insert take, and it
 * measured faster than JSONEachRow on both.
 */
export function gossipTsv(batch: readonly Observation[]): { tsv: Buffer; rows: number; entries: number } {
  const out = new ByteWriter(64 * 1024);
  let rows = 0;
  let entries = 0;
  for (const o of batch) {
    const p = o.addrs;
    if (p.length <= 1) continue; // empty answer (count 0)
    rows++;
    out
      .uint(Math.floor(o.ts / 1000))
      .tab()
      .text(o.crawlId)
      .tab()
      .text(o.network)
      .tab()
      .text(o.host)
      .tab();
    out.uint(o.port).tab();
    // Five arrays: each walk of the packed answer writes one (columns, so no per-entry state).
    out.byte(0x5b);
    entries += walkPacked(p, (c) => {
      if (c.index > 0) out.byte(0x2c);
      out.uint(c.id);
    });
    out.byte(0x5d).tab().byte(0x5b);
    walkPacked(p, (c) => {
      if (c.index > 0) out.byte(0x2c);
      out.byte(0x27);
      if (c.id === 1 && c.addrLen === 4) out.ipv4(p, c.addrAt);
      else out.ascii(hostOf(c.id, p.subarray(c.addrAt, c.addrAt + c.addrLen)));
      out.byte(0x27);
    });
    out.byte(0x5d).tab().byte(0x5b);
    walkPacked(p, (c) => {
      if (c.index > 0) out.byte(0x2c);
      out.uint(c.port);
    });
    out.byte(0x5d).tab().byte(0x5b);
    walkPacked(p, (c) => {
      if (c.index > 0) out.byte(0x2c);
      if (c.services >= 0) out.uint(c.services);
      else out.ascii(c.servicesBig.toString());
    });
    out.byte(0x5d).tab().byte(0x5b);
    walkPacked(p, (c) => {
      if (c.index > 0) out.byte(0x2c);
      // A peer may claim any uint32 time (0xffffffff is common junk); later than the last second
      // every engine stores, it is stored as that second.
      out.uint(Math.min(c.time, MAX_DATETIME_S));
    });
    out.byte(0x5d).byte(0x0a);
  }
  return { tsv: out.finish(), rows, entries };
}

/** A host's text: canonical, so only [0-9a-z.:] and never a quote or a backslash. */
function hostOf(id: number, bytes: Uint8Array): string {
  const network = networkFromBip155Id(id);
  if (!network) throw new Error(`gossip: network id ${id} cannot be stored`);
  return addressFromBytes(network, bytes);
}

const TSV_SPECIAL = /[\t\n\\]/g;
const TSV_ESCAPE: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\\': '\\\\' };

/** A growable byte buffer with the few writes TSV rows need. */
class ByteWriter {
  private buf: Buffer;
  private at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  byte(b: number): this {
    this.room(1);
    this.buf[this.at++] = b;
    return this;
  }
  tab(): this {
    return this.byte(0x09);
  }
  uint(n: number): this {
    if (n < 10) return this.byte(0x30 + n);
    return this.ascii(String(n));
  }
  ascii(s: string): this {
    this.room(s.length);
    this.at += this.buf.write(s, this.at, 'latin1');
    return this;
  }
  /** A string field, TSV-escaped, as UTF-8. */
  text(s: string): this {
    const t = s.replace(TSV_SPECIAL, (c) => TSV_ESCAPE[c] as string);
    this.room(Buffer.byteLength(t));
    this.at += this.buf.write(t, this.at);
    return this;
  }
  ipv4(b: Uint8Array, at: number): this {
    this.room(15);
    for (let i = 0; i < 4; i++) {
      if (i > 0) this.buf[this.at++] = 0x2e;
      const v = b[at + i] as number;
      if (v >= 100) this.buf[this.at++] = 0x30 + Math.floor(v / 100);
      if (v >= 10) this.buf[this.at++] = 0x30 + (Math.floor(v / 10) % 10);
      this.buf[this.at++] = 0x30 + (v % 10);
    }
    return this;
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
