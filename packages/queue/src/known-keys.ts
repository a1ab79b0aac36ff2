import { type PackedAddrs, walkPacked } from '@bitcrawl/protocol';

/**
 * The endpoint keys this process has already put to the current round's admission, so a
 * commit sends Redis only the entries it has not: in a mainnet round each address is gossiped
 * by hundreds of peers, and checking 1,000 entries per answer in Lua cost Redis about 2 ms of
 * CPU per visit (measured), most of it for addresses the same worker had asked about before.
 * A key here is known to be in the round (admitted, by this or another worker) or not due this
 * round; either way asking again would admit nothing. Keys are added only after the commit
 * that carried them succeeded, so a failed commit's retry asks again.
 *
 * IPv4 keys (most of any answer) are numbers (address * 65536 + port, exact below 2^48):
 * no string per entry. Bounded: past `max` keys the set starts over (asking again is correct,
 * only slower).
 */
export class KnownKeys {
  private round = '';
  private readonly v4 = new Set<number>();
  private readonly other = new Set<string>();
  constructor(private readonly max = 2_000_000) {}

  /**
   * The entries of `packed` not known for `crawlId`, packed again (a copy of their bytes), and
   * what to remember once they were committed. `undefined` candidates: all of them are known.
   */
  unknown(crawlId: string, packed: PackedAddrs): { candidates: Uint8Array; remember: () => void } {
    if (crawlId !== this.round || this.v4.size + this.other.size > this.max) {
      this.round = crawlId;
      this.v4.clear();
      this.other.clear();
    }
    const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    const ranges: number[] = [];
    const newV4: number[] = [];
    const newOther: string[] = [];
    walkPacked(packed, (c) => {
      if (c.id === 1 && c.addrLen === 4) {
        const a = c.addrAt;
        const n =
          ((buf[a] as number) * 0x1000000 +
            (((buf[a + 1] as number) << 16) | ((buf[a + 2] as number) << 8) | (buf[a + 3] as number))) *
            0x10000 +
          c.port;
        if (this.v4.has(n)) return;
        newV4.push(n);
      } else {
        const k = buf.toString('latin1', c.keyAt, c.keyEnd);
        if (this.other.has(k)) return;
        newOther.push(k);
      }
      ranges.push(c.entryAt, c.keyEnd);
    });
    const remember = () => {
      for (const n of newV4) this.v4.add(n);
      for (const k of newOther) this.other.add(k);
    };
    return { candidates: repack(buf, ranges), remember };
  }
}

/** A packed list of the entries at these [start, end) ranges of `buf`. */
function repack(buf: Buffer, ranges: readonly number[]): Uint8Array {
  const count = ranges.length / 2;
  let size = count < 0xfd ? 1 : 3;
  for (let i = 0; i < ranges.length; i += 2) size += (ranges[i + 1] as number) - (ranges[i] as number);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (count < 0xfd) out[at++] = count;
  else {
    out[at++] = 0xfd;
    out.writeUInt16LE(count, at);
    at += 2;
  }
  for (let i = 0; i < ranges.length; i += 2)
    at += buf.copy(out, at, ranges[i] as number, ranges[i + 1] as number);
  return out;
}
