import { GeoDbError } from './errors.ts';
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
   * Builds the index. Ranges may come in any order; overlapping ranges of one family are an
   * error naming both lines (the lookup would be ambiguous), checked after sorting.
   */
  static build(ranges: readonly GeoRange[], file?: string): GeoDb {
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
    const v4 = ranges.filter((r) => r.family === 4).sort((a, b) => a.start - b.start);
    const v6 = ranges
      .filter((r) => r.family === 6)
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const overlap = (a: GeoRange, b: GeoRange) => {
      throw new GeoDbError(
        'GEO_DB_OVERLAP',
        `range on line ${b.line} overlaps the range on line ${a.line}`,
        file ? { file, line: b.line } : { line: b.line },
      );
    };
    for (let i = 1; i < v4.length; i++)
      if ((v4[i] as GeoRange).start <= (v4[i - 1] as GeoRange).end) overlap(v4[i - 1]!, v4[i]!);
    for (let i = 1; i < v6.length; i++)
      if ((v6[i] as GeoRange).start <= (v6[i - 1] as GeoRange).end) overlap(v6[i - 1]!, v6[i]!);
    const v4Info = Uint32Array.from(v4, (r) => intern(r.info));
    const v6Info = Uint32Array.from(v6, (r) => intern(r.info));
    const hi = (n: bigint) => n >> 64n;
    const lo = (n: bigint) => n & MASK64;
    return new GeoDb(
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
