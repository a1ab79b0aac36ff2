import { flattenRanges } from './flatten.ts';
import { mappedIPv4, parseIPv4, parseIPv6 } from './ip.ts';

/** What the database says about an address. */
export interface GeoInfo {
  asn: number;
  asOrg: string;
  /** ISO 3166 alpha-2, upper case; '' when the database has no country for the range. */
  country: string;
}

/** One range as parsed; IPv4 bounds are numbers, IPv6 bounds bigints. */
export type GeoRange =
  | { family: 4; start: number; end: number; info: GeoInfo; line: number }
  | { family: 6; start: bigint; end: bigint; info: GeoInfo; line: number };

const MASK64 = (1n << 64n) - 1n;

/**
 * Sorted, non-overlapping ranges with binary search. IPv4 bounds live in Uint32Arrays and IPv6
 * bounds in BigUint64Array pairs (high and low 64 bits), so ~500k ranges take a few tens of MB;
 * the range → info index points into a table of distinct (asn, country, org) answers.
 */
export class GeoDb {
  /** Input ranges that overlapped another (resolved by flattenRanges: the innermost wins). */
  overlaps = 0;

  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Info: Uint32Array,
    private readonly v6StartHi: BigUint64Array,
    private readonly v6StartLo: BigUint64Array,
    private readonly v6EndHi: BigUint64Array,
    private readonly v6EndLo: BigUint64Array,
    private readonly v6Info: Uint32Array,
    private readonly infos: readonly GeoInfo[],
  ) {}

  get ranges(): number {
    return this.v4Start.length + this.v6StartHi.length;
  }

  /**
   * Builds the index. Ranges may come in any order and may overlap, as real files do: at each
   * address the range that started last (the innermost) answers (see flattenRanges).
   */
  static build(ranges: readonly GeoRange[]): GeoDb {
    const infos: GeoInfo[] = [];
    const infoIndex = new Map<string, number>();
    const intern = (i: GeoInfo) => {
      const key = `${i.asn}\t${i.country}\t${i.asOrg}`;
      let at = infoIndex.get(key);
      if (at === undefined) {
        at = infos.push(Object.freeze({ ...i })) - 1;
        infoIndex.set(key, at);
      }
      return at;
    };
    type V4 = Extract<GeoRange, { family: 4 }>;
    type V6 = Extract<GeoRange, { family: 6 }>;
    // Equal starts: the wider range first, so the narrower one nests inside it and wins.
    const f4 = flattenRanges(
      (ranges.filter((r) => r.family === 4) as V4[]).sort((a, b) => a.start - b.start || b.end - a.end),
    );
    const f6 = flattenRanges(
      (ranges.filter((r) => r.family === 6) as V6[]).sort((a, b) =>
        a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.end === b.end ? 0 : a.end > b.end ? -1 : 1,
      ),
    );
    const v4 = f4.ranges;
    const v6 = f6.ranges;
    const v4Info = Uint32Array.from(v4, (r) => intern(r.info));
    const v6Info = Uint32Array.from(v6, (r) => intern(r.info));
    const hi = (n: bigint) => n >> 64n;
    const lo = (n: bigint) => n & MASK64;
    const db = new GeoDb(
      Uint32Array.from(v4, (r) => r.start as number),
      Uint32Array.from(v4, (r) => r.end as number),
      v4Info,
      BigUint64Array.from(v6, (r) => hi(r.start as bigint)),
      BigUint64Array.from(v6, (r) => lo(r.start as bigint)),
      BigUint64Array.from(v6, (r) => hi(r.end as bigint)),
      BigUint64Array.from(v6, (r) => lo(r.end as bigint)),
      v6Info,
      infos,
    );
    db.overlaps = f4.overlaps + f6.overlaps;
    return db;
  }

  /**
   * The answer for a crawled address, or undefined: no range, or a network without IP
   * geography (onion, i2p, cjdns). IPv4-mapped IPv6 addresses are looked up as IPv4.
   */
  lookup(network: string, host: string): GeoInfo | undefined {
    if (network === 'ipv4') {
      const n = parseIPv4(host);
      return n === undefined ? undefined : this.lookupV4(n);
    }
    if (network === 'ipv6') {
      const n = parseIPv6(host);
      if (n === undefined) return undefined;
      const v4 = mappedIPv4(n);
      return v4 === undefined ? this.lookupV6(n) : this.lookupV4(v4);
    }
    return undefined;
  }

  lookupV4(n: number): GeoInfo | undefined {
    const starts = this.v4Start;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] as number) <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || n > (this.v4End[found] as number)) return undefined;
    return this.infos[this.v4Info[found] as number];
  }

  lookupV6(n: bigint): GeoInfo | undefined {
    const h = n >> 64n;
    const l = n & MASK64;
    const sh = this.v6StartHi;
    const sl = this.v6StartLo;
    let lo = 0;
    let hi = sh.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const mh = sh[mid] as bigint;
      if (mh < h || (mh === h && (sl[mid] as bigint) <= l)) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const eh = this.v6EndHi[found] as bigint;
    if (h > eh || (h === eh && l > (this.v6EndLo[found] as bigint))) return undefined;
    return this.infos[this.v6Info[found] as number];
  }
}
