import { readFile } from 'node:fs/promises';
import { Reader } from 'maxmind';
import { GeoDbError } from './errors.ts';
import { parseIPv4, parseIPv6 } from './ip.ts';

/** What a city-level (and possibly ASN) MMDB database says about an address; '' / undefined where it says nothing. */
export interface MmdbAnswer {
  city: string;
  /** First subdivision (state, province). */
  region: string;
  /** ISO 3166 alpha-2, upper case. */
  country: string;
  latitude?: number;
  longitude?: number;
  /** IANA time zone name. */
  timezone: string;
  asn?: number;
  asOrg?: string;
}

/** The end of every MMDB file carries this marker before its metadata. */
const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');

interface Db {
  file: string;
  ipVersion: number;
  reader: Reader<Record<string, unknown>>;
}

/**
 * MaxMind-format databases read with the `maxmind` library: GeoLite2/GeoIP2 City, Country and
 * ASN, DB-IP Lite (MaxMind schema), and ip-location-db's flat schema (country_code, state1,
 * city, latitude, longitude, timezone; asn, as_organization). Several files may be given (a v4
 * and a v6 file, a city and an ASN file): an address is looked up in each file of its family,
 * and the answers are merged, earlier files first.
 */
export class MmdbGeo {
  private constructor(private readonly dbs: readonly Db[]) {}

  static async open(files: readonly string[]): Promise<MmdbGeo> {
    const dbs: Db[] = [];
    for (const file of files) {
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch (err) {
        throw new GeoDbError('GEO_DB_UNREADABLE', `cannot read: ${(err as Error).message}`, { file });
      }
      if (buf.lastIndexOf(METADATA_MARKER) < 0)
        throw new GeoDbError('GEO_DB_MALFORMED', 'not a MaxMind-format (MMDB) database: no metadata marker', {
          file,
        });
      try {
        const reader = new Reader<Record<string, unknown>>(buf);
        dbs.push({ file, ipVersion: reader.metadata.ipVersion, reader });
      } catch (err) {
        throw new GeoDbError('GEO_DB_MALFORMED', `unreadable MMDB: ${(err as Error).message}`, { file });
      }
    }
    return new MmdbGeo(dbs);
  }

  get files(): string[] {
    return this.dbs.map((d) => d.file);
  }

  /** The merged answer for a crawled address; undefined when no file knows it or it is not IPv4/IPv6. */
  lookup(network: string, host: string): MmdbAnswer | undefined {
    const v4 = network === 'ipv4' && parseIPv4(host) !== undefined;
    const v6 = network === 'ipv6' && parseIPv6(host) !== undefined;
    if (!v4 && !v6) return undefined;
    let out: MmdbAnswer | undefined;
    // IPv4 files first for IPv4 addresses (an IPv6 file may also hold them, mapped); an IPv4 file is never asked about IPv6.
    const order = v4
      ? [...this.dbs].sort((a, b) => a.ipVersion - b.ipVersion)
      : this.dbs.filter((d) => d.ipVersion === 6);
    for (const db of order) {
      let rec: Record<string, unknown> | null;
      try {
        rec = db.reader.get(host);
      } catch {
        continue; // an address this file cannot hold
      }
      if (!rec) continue;
      out = merge(out, normalize(rec));
    }
    return out;
  }
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const en = (v: unknown) => text((v as { names?: { en?: unknown } } | undefined)?.names?.en);
const finite = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One record in either schema (MaxMind's nested one, ip-location-db's flat one) as an MmdbAnswer. */
export function normalize(r: Record<string, unknown>): MmdbAnswer {
  const loc = (r.location ?? {}) as Record<string, unknown>;
  const country = (r.country ?? r.registered_country) as { iso_code?: unknown } | undefined;
  const subdivisions = r.subdivisions as unknown[] | undefined;
  const code = text(country?.iso_code) || text(r.country_code);
  const lat = finite(loc.latitude) ?? finite(r.latitude);
  const lon = finite(loc.longitude) ?? finite(r.longitude);
  const asn = finite(r.autonomous_system_number) ?? finite(r.asn);
  const out: MmdbAnswer = {
    city: en(r.city) || text(r.city),
    region: en(subdivisions?.[0]) || text(r.state1),
    country: /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : '',
    timezone: text(loc.time_zone) || text(r.timezone),
  };
  if (lat !== undefined && lon !== undefined) Object.assign(out, { latitude: lat, longitude: lon });
  if (asn !== undefined && asn > 0)
    Object.assign(out, { asn, asOrg: text(r.autonomous_system_organization) || text(r.as_organization) });
  return out;
}

function merge(a: MmdbAnswer | undefined, b: MmdbAnswer): MmdbAnswer {
  if (!a) return b;
  const out: MmdbAnswer = {
    city: a.city || b.city,
    region: a.region || b.region,
    country: a.country || b.country,
    timezone: a.timezone || b.timezone,
  };
  const ll = a.latitude !== undefined ? a : b;
  if (ll.latitude !== undefined) Object.assign(out, { latitude: ll.latitude, longitude: ll.longitude });
  const as = a.asn !== undefined ? a : b;
  if (as.asn !== undefined) Object.assign(out, { asn: as.asn, asOrg: as.asOrg ?? '' });
  return out;
}
