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
    const ranges: number[] = [];
    const newV4: number[] = []; // address, port, address, port, ...
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
        newV4.push(addr, c.port);
      } else {
        const k = buf.toString('latin1', c.keyAt, c.keyEnd);
        if (this.other.has(k)) return;
        newOther.push(k);
      }
      ranges.push(c.entryAt, c.keyEnd);
    });
    const remember = () => {
      for (let i = 0; i < newV4.length; i += 2) this.v4.add(newV4[i] as number, newV4[i + 1] as number);
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

const MIN_SLOTS = 1024;

/**
 * A set of IPv4 endpoints: linear probing over parallel typed arrays (address; port + 1, 0
 * marking a free slot), grown to keep at most half the slots used.
 */
export class EndpointTable {
  private addrs = new Uint32Array(MIN_SLOTS);
  private ports = new Uint32Array(MIN_SLOTS);
  size = 0;

  has(addr: number, port: number): boolean {
    return this.ports[this.slot(addr, port)] !== 0;
  }

  add(addr: number, port: number): void {
    if ((this.size + 1) * 2 > this.addrs.length) this.grow();
    const i = this.slot(addr, port);
    if (this.ports[i] !== 0) return;
    this.addrs[i] = addr;
    this.ports[i] = port + 1;
    this.size++;
  }

  clear(): void {
    if (this.addrs.length > MIN_SLOTS) {
      this.addrs = new Uint32Array(MIN_SLOTS);
      this.ports = new Uint32Array(MIN_SLOTS);
    } else this.ports.fill(0);
    this.size = 0;
  }

  /** The slot holding (addr, port), or the free slot where it goes. */
  private slot(addr: number, port: number): number {
    const mask = this.addrs.length - 1;
    let h = Math.imul(addr ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & mask;
    const p = port + 1;
    for (;;) {
      const q = this.ports[i] as number;
      if (q === 0 || (q === p && this.addrs[i] === addr)) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const [addrs, ports] = [this.addrs, this.ports];
    this.addrs = new Uint32Array(addrs.length * 2);
    this.ports = new Uint32Array(addrs.length * 2);
    for (let i = 0; i < addrs.length; i++) {
      const q = ports[i] as number;
      if (q === 0) continue;
      const j = this.slot(addrs[i] as number, q - 1);
      this.addrs[j] = addrs[i] as number;
      this.ports[j] = q;
    }
  }
}
