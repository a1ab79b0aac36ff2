import type { AddrEntry } from '@bitcrawl/protocol';

/**
 * The distinct addresses of a getaddr answer, in arrival order; distinct means a different
 * (network, host, port). Values are the decoded entries themselves (their shape is the
 * Observation's), so a harvest copies nothing.
 *
 * Bitcoin Core sends its whole answer in one message, so the common case is one `add` into an
 * empty set. That case is checked for repeats with a scratch hash table shared by every set (an
 * `add` runs to completion before any other can start), which allocates nothing per entry, and
 * an answer without repeats is kept as the very array it came in (never mutated). A second
 * `add` (split answers, relays, a hostile peer's stream of small messages) builds a Map index
 * once and uses it from then on, so no sequence of messages costs more than one Map lookup per
 * entry.
 */
export class AddressSet {
  private entries: AddrEntry[] = [];
  /** `entries` is the caller's array, adopted whole: copy it before the first change. */
  private adopted = false;
  private index: Map<string, AddrEntry> | undefined;

  get size(): number {
    return this.entries.length;
  }

  /** An independent copy (the entries themselves are shared: they are never mutated). */
  clone(): AddressSet {
    const c = new AddressSet();
    c.entries = this.entries.slice();
    if (this.index) c.index = new Map(this.index);
    return c;
  }

  /** The distinct entries in arrival order. The array is the set's own: do not mutate it. */
  values(): AddrEntry[] {
    return this.entries;
  }

  /**
   * Adds the entries not yet present, up to `max` in all. Returns true when the set is full and
   * at least one new entry had to be dropped.
   */
  add(list: readonly AddrEntry[], max: number): boolean {
    if (this.entries.length === 0 && this.index === undefined && list.length <= SCRATCH_MAX) {
      // A whole answer without repeats that fits (Core's, nearly always) is kept as the
      // decoder's own array: no copy, no growth.
      if (list.length === 0) return false;
      if (list.length <= max && !hasRepeats(list)) {
        this.entries = list as AddrEntry[];
        this.adopted = true;
        return false;
      }
      return addFirst(this.entries, list, max);
    }
    if (this.adopted) {
      this.entries = this.entries.slice();
      this.adopted = false;
    }
    if (!this.index) {
      this.index = new Map();
      for (const a of this.entries) indexAdd(this.index, a);
    }
    for (const a of list) {
      if (indexHas(this.index, a)) continue;
      if (this.entries.length >= max) return true;
      indexAdd(this.index, a);
      this.entries.push(a);
    }
    return false;
  }
}

// --- the one-message path: open addressing over entry indices, stamped instead of cleared ---

/** Largest message the scratch table takes; the decoders cap addr/addrv2 at 1000 entries. */
const SCRATCH_MAX = 1024;
const SLOTS = 4096; // a power of two, at least 4 × SCRATCH_MAX: short probe runs
const slotEntry = new Int32Array(SLOTS);
const slotStamp = new Uint32Array(SLOTS);
let stamp = 0;

function nextStamp(): void {
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    slotStamp.fill(0); // after 2^32 - 1 uses; 0 never marks a live slot
    stamp = 1;
  }
}

/**
 * The slot holding the entry of `pool` equal to `a` (slotStamp[slot] === stamp), or else the
 * free slot where `a` goes.
 */
function probe(pool: readonly AddrEntry[], a: AddrEntry): number {
  let slot = hashOf(a) & (SLOTS - 1);
  while (slotStamp[slot] === stamp && !same(pool[slotEntry[slot] as number] as AddrEntry, a)) {
    slot = (slot + 1) & (SLOTS - 1);
  }
  return slot;
}

/** True when some endpoint occurs twice in `list` (list.length <= SCRATCH_MAX). */
function hasRepeats(list: readonly AddrEntry[]): boolean {
  nextStamp();
  for (let i = 0; i < list.length; i++) {
    const slot = probe(list, list[i] as AddrEntry);
    if (slotStamp[slot] === stamp) return true;
    slotStamp[slot] = stamp;
    slotEntry[slot] = i;
  }
  return false;
}

function addFirst(into: AddrEntry[], list: readonly AddrEntry[], max: number): boolean {
  nextStamp();
  for (const a of list) {
    const slot = probe(into, a);
    if (slotStamp[slot] === stamp) continue;
    if (into.length >= max) return true;
    slotStamp[slot] = stamp;
    slotEntry[slot] = into.length;
    into.push(a);
  }
  return false;
}

/** FNV-1a over the host's characters, mixed with the port. */
function hashOf(a: AddrEntry): number {
  let h = 0x811c9dc5;
  const s = a.host;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ a.port, 0x01000193) >>> 0;
}

function same(x: AddrEntry, y: AddrEntry): boolean {
  return x.host === y.host && x.port === y.port && x.network === y.network;
}

// --- the general path: a Map keyed by the host string, which the decoder already made ---

/** The common case needs no new key; a host's second port or network (IPv6 and CJDNS share a text form) gets a full key. */
function indexHas(index: Map<string, AddrEntry>, a: AddrEntry): boolean {
  const first = index.get(a.host);
  if (!first) return false;
  return same(first, a) || index.has(fullKey(a));
}

function indexAdd(index: Map<string, AddrEntry>, a: AddrEntry): void {
  if (!index.has(a.host)) index.set(a.host, a);
  else index.set(fullKey(a), a);
}

function fullKey(a: AddrEntry): string {
  return `${a.host} ${a.port} ${a.network}`;
}
