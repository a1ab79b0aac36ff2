import { MAX_PACKED_ENTRIES, type PackedAddrs, walkPacked } from '@bitcrawl/protocol';

/**
 * The endpoint keys this process has already put to the current round's admission, so a
 * commit sends Redis only the entries it has not: in a mainnet round each address is gossiped
 * by hundreds of peers, and checking 1,000 entries per answer in Lua cost Redis about 2 ms of
 * CPU per visit (measured), most of it for addresses the same worker had asked about before.
 * A key here is known to be in the round (admitted, by this or another worker) or not due this
 * round; either way asking again would admit nothing. Keys are added only after the commit
 * that carried them succeeded, so a failed commit's retry asks again.
 *
 * IPv4 keys (most of any answer) live in an open-addressing table of (address, port) pairs:
 * no string or heap number per entry (a Set of address * 65536 + port numbers cost ~0.4 µs a
 * lookup, 2 million lookups in a 2,000-visit round). Bounded: past `max` keys the set starts
 * over (asking again is correct, only slower).
 */
export class KnownKeys {
  private round = '';
  private readonly v4 = new EndpointTable();
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
    // The walk writes into scratch arrays (no array grown per entry: that was the crawl's
    // largest allocation); what `remember` needs later is copied out at its exact size.
    const ranges = RANGES;
    const v4 = NEW_V4;
    let nRanges = 0;
    let nV4 = 0;
    const newOther: string[] = [];
    walkPacked(packed, (c) => {
      if (c.id === 1 && c.addrLen === 4) {
        const a = c.addrAt;
        const addr =
          (((buf[a] as number) << 24) |
            ((buf[a + 1] as number) << 16) |
            ((buf[a + 2] as number) << 8) |
            (buf[a + 3] as number)) >>>
          0;
        if (this.v4.has(addr, c.port)) return;
        v4[nV4++] = addr;
        v4[nV4++] = c.port;
      } else {
        const k = buf.toString('latin1', c.keyAt, c.keyEnd);
        if (this.other.has(k)) return;
        newOther.push(k);
      }
      ranges[nRanges++] = c.entryAt;
      ranges[nRanges++] = c.keyEnd;
    });
    const newV4 = v4.slice(0, nV4);
    const remember = () => {
      for (let i = 0; i < newV4.length; i += 2) this.v4.add(newV4[i] as number, newV4[i + 1] as number);
      for (const k of newOther) this.other.add(k);
    };
    return { candidates: repack(buf, ranges, nRanges), remember };
  }
}

/** Scratch for one walk: [start, end) of each new entry, and each new IPv4 (address, port). */
const RANGES = new Uint32Array(2 * MAX_PACKED_ENTRIES);
const NEW_V4 = new Uint32Array(2 * MAX_PACKED_ENTRIES);

/** A packed list of the entries at the first n/2 [start, end) ranges of `buf`. */
function repack(buf: Buffer, ranges: Uint32Array, n: number): Uint8Array {
  const count = n / 2;
  let size = count < 0xfd ? 1 : 3;
  for (let i = 0; i < n; i += 2) size += (ranges[i + 1] as number) - (ranges[i] as number);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (count < 0xfd) out[at++] = count;
  else {
    out[at++] = 0xfd;
    out.writeUInt16LE(count, at);
    at += 2;
  }
  for (let i = 0; i < n; i += 2) at += buf.copy(out, at, ranges[i] as number, ranges[i + 1] as number);
  return out;
}

const MIN_SLOTS = 1024;

/**
 * A set of IPv4 endpoints: linear probing over one typed array of (address, port + 1) pairs,
 * 0 marking a free slot, grown to keep at most half the slots used. The pair shares a cache
 * line: with two arrays, a lookup amid a busy crawl paid two cache misses.
 */
export class EndpointTable {
  /** Slot i is at [2i] (address) and [2i + 1] (port + 1). */
  private slots = new Uint32Array(MIN_SLOTS * 2);
  size = 0;

  has(addr: number, port: number): boolean {
    return this.slots[this.slot(addr, port) + 1] !== 0;
  }

  add(addr: number, port: number): void {
    if ((this.size + 1) * 4 > this.slots.length) this.grow();
    const i = this.slot(addr, port);
    if (this.slots[i + 1] !== 0) return;
    this.slots[i] = addr;
    this.slots[i + 1] = port + 1;
    this.size++;
  }

  clear(): void {
    if (this.slots.length > MIN_SLOTS * 2) this.slots = new Uint32Array(MIN_SLOTS * 2);
    else this.slots.fill(0);
    this.size = 0;
  }

  /** The index of the slot holding (addr, port), or of the free slot where it goes. */
  private slot(addr: number, port: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let h = Math.imul(addr ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & mask;
    const p = port + 1;
    for (;;) {
      const q = slots[2 * i + 1] as number;
      if (q === 0 || (q === p && slots[2 * i] === addr)) return 2 * i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const q = old[i + 1] as number;
      if (q === 0) continue;
      const j = this.slot(old[i] as number, q - 1);
      this.slots[j] = old[i] as number;
      this.slots[j + 1] = q;
    }
  }
}
