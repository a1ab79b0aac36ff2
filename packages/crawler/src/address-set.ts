import {
  type AddrEntry,
  EMPTY_LIST,
  keyStart,
  type PackedAddrs,
  type PackedList,
  packedListOf,
  packList,
  unpackAddrs,
} from '@bitcrawl/protocol';

/**
 * The distinct addresses of a getaddr answer, in arrival order, kept packed (PackedList): no
 * string and no object per entry. Distinct means a different key: network id, address bytes
 * and port, the frontier's key (a canonical host is its bytes, so this is the same as a
 * different (network, host, port)).
 *
 * Bitcoin Core sends its whole answer in one message, so the common case is one `add` into an
 * empty set. That case is checked for repeats with a scratch hash table shared by every set (an
 * `add` runs to completion before any other can start), which allocates nothing per entry, and
 * an answer without repeats is kept as the very list it came in (never mutated). A second `add`
 * (split answers, relays, a hostile peer's stream of small messages) copies the entries into
 * the set's own growing buffer and builds the set's own hash table once, so no sequence of
 * messages costs more than one probe per entry.
 */
export class AddressSet {
  private list: PackedList = EMPTY_LIST;
  /** `list` is the caller's, adopted whole: copy it before the first change. */
  private adopted = true;
  /** Open addressing over entry index + 1 (0: free); built on the second add. */
  private table: Int32Array | undefined;

  get size(): number {
    return this.list.count;
  }

  /** An independent copy. */
  clone(): AddressSet {
    const c = new AddressSet();
    c.list = this.list; // shared until either changes: both copy before writing
    this.adopted = true;
    if (this.table) c.table = this.table.slice();
    return c;
  }

  /** The distinct entries as PackedAddrs (the Observation's form): one copy. */
  packed(): PackedAddrs {
    return packList(this.list);
  }

  /** The distinct entries as objects (tests and tools; the crawl's path uses `packed`). */
  values(): AddrEntry[] {
    return unpackAddrs(this.packed());
  }

  /**
   * Adds the entries not yet present, up to `max` in all. Returns true when the set is full and
   * at least one new entry had to be dropped.
   */
  add(entries: readonly AddrEntry[] | PackedList, max: number): boolean {
    const list = Array.isArray(entries)
      ? packedListOf(entries as readonly AddrEntry[])
      : (entries as PackedList);
    if (list.count === 0) return false;
    if (
      this.table === undefined &&
      this.list.count <= FEW &&
      list.count <= SCRATCH_MAX &&
      this.list.count + list.count <= max &&
      !hasRepeats(list)
    ) {
      // A whole answer without repeats that fits (Core's, nearly always) is kept as the
      // decoder's own list: no copy, no growth. After a few entries (Core's self-announcement
      // comes just before its answer) it is joined to them in one copy, checked against them
      // through the scratch table its own check just filled.
      if (this.list.count === 0) {
        this.list = list;
        this.adopted = true;
      } else {
        this.list = joined(this.list, list);
        this.adopted = false;
      }
      return false;
    }
    if (this.adopted) this.own(list);
    if (!this.table) this.buildTable(this.list.count + list.count);
    const b = list.bytes;
    for (let i = 0; i < list.count; i++) {
      const at = list.starts[i] as number;
      const end = list.starts[i + 1] as number;
      const k = keyStart(b, at);
      let table = this.table as Int32Array;
      let slot = this.find(table, b, k, end);
      if ((table[slot] as number) !== 0) continue;
      if (this.list.count >= max) return true;
      this.append(b, at, end);
      if (this.list.count * 2 > table.length) {
        this.buildTable(this.list.count * 2);
        table = this.table as Int32Array;
        slot = this.find(table, b, k, end);
      }
      table[slot] = this.list.count;
    }
    return false;
  }

  /** Copies the adopted (or empty) list into buffers of the set's own, with room for `more`. */
  private own(more: PackedList): void {
    const cur = this.list;
    const end = cur.starts[cur.count] as number;
    const bytes = new Uint8Array(Math.max(256, 2 * (end + (more.starts[more.count] as number))));
    bytes.set(cur.bytes.subarray(0, end));
    const starts = new Uint32Array(Math.max(16, 2 * (cur.count + more.count) + 1));
    starts.set(cur.starts.subarray(0, cur.count + 1));
    this.list = { bytes, starts, count: cur.count };
    this.adopted = false;
  }

  private append(b: Uint8Array, at: number, end: number): void {
    const l = this.list;
    const from = l.starts[l.count] as number;
    const to = from + (end - at);
    if (to > l.bytes.length) {
      const bigger = new Uint8Array(Math.max(to, 2 * l.bytes.length));
      bigger.set(l.bytes.subarray(0, from));
      l.bytes = bigger;
    }
    if (l.count + 2 > l.starts.length) {
      const bigger = new Uint32Array(2 * l.starts.length);
      bigger.set(l.starts);
      l.starts = bigger;
    }
    l.bytes.set(b.subarray(at, end), from);
    l.count++;
    l.starts[l.count] = to;
  }

  /** A table of at least 2 × `n` slots holding every entry of the set. */
  private buildTable(n: number): void {
    let size = 64;
    while (size < 2 * n) size *= 2;
    const table = new Int32Array(size);
    const l = this.list;
    this.table = table;
    for (let i = 0; i < l.count; i++) {
      const at = l.starts[i] as number;
      const slot = this.find(table, l.bytes, keyStart(l.bytes, at), l.starts[i + 1] as number);
      table[slot] = i + 1;
    }
  }

  /** The slot holding the entry whose key is b[k, end), or the free slot where it goes. */
  private find(table: Int32Array, b: Uint8Array, k: number, end: number): number {
    const mask = table.length - 1;
    const l = this.list;
    let slot = hashKey(b, k, end) & mask;
    for (;;) {
      const e = table[slot] as number;
      if (e === 0) return slot;
      const at = l.starts[e - 1] as number;
      if (sameKey(l.bytes, keyStart(l.bytes, at), l.starts[e] as number, b, k, end)) return slot;
      slot = (slot + 1) & mask;
    }
  }
}

// --- the one-message path: open addressing over entry indices, stamped instead of cleared ---

/** Largest message the scratch table takes; the decoders cap addr/addrv2 at 1000 entries. */
const SCRATCH_MAX = 1024;
const SLOTS = 4096; // a power of two, at least 4 × SCRATCH_MAX: short probe runs
const slotEntry = new Int32Array(SLOTS);
const slotStamp = new Uint32Array(SLOTS);
let stamp = 0;

/** True when some key occurs twice in `list` (list.count <= SCRATCH_MAX). */
function hasRepeats(list: PackedList): boolean {
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    slotStamp.fill(0); // after 2^32 - 1 uses; 0 never marks a live slot
    stamp = 1;
  }
  const b = list.bytes;
  const s = list.starts;
  for (let i = 0; i < list.count; i++) {
    const end = s[i + 1] as number;
    const k = keyStart(b, s[i] as number);
    let slot = hashKey(b, k, end) & (SLOTS - 1);
    while (slotStamp[slot] === stamp) {
      const j = slotEntry[slot] as number;
      if (sameKey(b, keyStart(b, s[j] as number), s[j + 1] as number, b, k, end)) return true;
      slot = (slot + 1) & (SLOTS - 1);
    }
    slotStamp[slot] = stamp;
    slotEntry[slot] = i;
  }
  return false;
}

/** Sets of at most this many entries take a whole answer through the scratch table (joined). */
const FEW = 16;

/**
 * The entries of `few`, then those of `list` not among them, in a list of its own. `list` must
 * have just been checked by hasRepeats, so the scratch table holds its keys.
 */
function joined(few: PackedList, list: PackedList): PackedList {
  const fb = few.bytes;
  const fs = few.starts;
  const skip: number[] = [];
  for (let i = 0; i < few.count; i++) {
    const j = scratchIndex(list, fb, keyStart(fb, fs[i] as number), fs[i + 1] as number);
    if (j >= 0) skip.push(j);
  }
  skip.sort((a, b) => a - b).push(list.count);
  const fewEnd = fs[few.count] as number;
  const ls = list.starts;
  const bytes = new Uint8Array(fewEnd + (ls[list.count] as number));
  bytes.set(fb.subarray(0, fewEnd));
  const starts = new Uint32Array(few.count + list.count + 1);
  starts.set(fs.subarray(0, few.count + 1));
  let count = few.count;
  let at = fewEnd;
  let from = 0;
  for (const j of skip) {
    if (j > from) {
      const a = ls[from] as number;
      bytes.set(list.bytes.subarray(a, ls[j] as number), at);
      for (let e = from; e < j; e++) starts[++count] = at + (ls[e + 1] as number) - a;
      at += (ls[j] as number) - a;
    }
    from = j + 1;
  }
  return { bytes, starts, count };
}

/** The index in `list` of the entry whose key is b[k, end), through the scratch table; -1 if none. */
function scratchIndex(list: PackedList, b: Uint8Array, k: number, end: number): number {
  const lb = list.bytes;
  const s = list.starts;
  let slot = hashKey(b, k, end) & (SLOTS - 1);
  while (slotStamp[slot] === stamp) {
    const j = slotEntry[slot] as number;
    if (sameKey(lb, keyStart(lb, s[j] as number), s[j + 1] as number, b, k, end)) return j;
    slot = (slot + 1) & (SLOTS - 1);
  }
  return -1;
}

/** FNV-1a over a key's bytes (network id, length, address, port). */
function hashKey(b: Uint8Array, k: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = k; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h >>> 0;
}

function sameKey(a: Uint8Array, ak: number, aEnd: number, b: Uint8Array, bk: number, bEnd: number): boolean {
  if (aEnd - ak !== bEnd - bk) return false;
  for (let i = 0; i < aEnd - ak; i++) if (a[ak + i] !== b[bk + i]) return false;
  return true;
}
