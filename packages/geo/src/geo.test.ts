import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cloudLookup, cloudProvider, parseCloudAsns } from './cloud.ts';
import { GeoDbError } from './errors.ts';
import { parseIPv4, parseIPv6 } from './ip.ts';
import { loadGeoDb } from './load.ts';
import { parseLine } from './parse.ts';

const fixture = path.resolve(import.meta.dirname, '../fixtures/ip2asn-test.tsv');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'bitcrawl-geo-'));
const write = (name: string, body: string | Buffer) => {
  const f = path.join(tmp(), name);
  writeFileSync(f, body);
  return f;
};
const rejection = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as GeoDbError;
  }
  throw new Error('expected a rejection');
};

describe('address parsing', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffff_ffff);
    expect(parseIPv4('192.0.2.1')).toBe(0xc000_0201);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d'])
      expect(parseIPv4(bad)).toBeUndefined();
  });
  it('parses IPv6 forms, including embedded IPv4', () => {
    expect(parseIPv6('::')).toBe(0n);
    expect(parseIPv6('::1')).toBe(1n);
    expect(parseIPv6('2001:db8::')).toBe(0x2001_0db8n << 96n);
    expect(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe((1n << 128n) - 1n);
    expect(parseIPv6('::ffff:192.0.2.1')).toBe((0xffffn << 32n) | 0xc000_0201n);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', 'g::1', '1:2:3:4:5:6:7:8:9', '::1%eth0', '12345::'])
      expect(parseIPv6(bad)).toBeUndefined();
  });
});

describe('ip2asn line parsing', () => {
  it('parses IPv4 and IPv6 lines; AS 0 is no data', () => {
    expect(parseLine('192.0.2.0\t192.0.2.255\t64500\tZZ\tEXAMPLE-NET', 1)).toEqual({
      family: 4,
      start: 0xc000_0200,
      end: 0xc000_02ff,
      info: { asn: 64500, asOrg: 'EXAMPLE-NET', country: 'ZZ' },
      line: 1,
    });
    expect(parseLine('2001:db8::\t2001:db8::ff\t64511\tNone\tEXAMPLE-V6', 2)).toMatchObject({
      family: 6,
      info: { asn: 64511, country: '' },
    });
    expect(parseLine('203.0.113.0\t203.0.113.255\t0\tNone\tNot routed', 3)).toBeNull();
  });
  it.each([
    ['192.0.2.0\t192.0.2.255\t64500\tZZ', /expected 5 tab-separated fields, got 4/],
    ['192.0.2.0\t192.0.2.255\tAS64500\tZZ\tX', /bad AS number/],
    ['192.0.2.0\t192.0.2.255\t64500\tZZZ\tX', /bad country code/],
    ['192.0.2.300\t192.0.2.255\t64500\tZZ\tX', /bad range start/],
    ['192.0.2.9\t192.0.2.1\t64500\tZZ\tX', /end is before its start/],
    ['192.0.2.0\t2001:db8::\t64500\tZZ\tX', /bad IPv4 range end/],
  ])('refuses %j', (text, why) => {
    let err: unknown;
    try {
      parseLine(text, 7, 'f.tsv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GeoDbError);
    expect(err).toMatchObject({ code: 'GEO_DB_MALFORMED', line: 7, file: 'f.tsv' });
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/^f\.tsv:7: /);
  });
});

describe('loadGeoDb', () => {
  it('loads the fixture and answers at range boundaries', async () => {
    const { db, ranges, lines, skipped } = await loadGeoDb(fixture);
    expect({ ranges, lines, skipped }).toEqual({ ranges: 8, lines: 11, skipped: 0 });
    const asn = (network: string, host: string) => db.lookup(network, host)?.asn;
    expect(asn('ipv4', '192.0.2.0')).toBe(64500); // first address
    expect(asn('ipv4', '192.0.2.255')).toBe(64500); // last address
    expect(asn('ipv4', '192.0.1.255')).toBeUndefined(); // just before
    expect(asn('ipv4', '192.0.3.0')).toBeUndefined(); // between ranges
    expect(asn('ipv4', '0.0.0.0')).toBeUndefined(); // before every range
    expect(asn('ipv4', '255.255.255.255')).toBeUndefined(); // after every range
    expect(asn('ipv4', '203.0.113.7')).toBeUndefined(); // AS 0
    expect(asn('ipv4', '127.0.0.1')).toBeUndefined(); // AS 0
    expect(asn('ipv4', '127.1.2.127')).toBe(64502);
    expect(asn('ipv4', '127.1.2.128')).toBe(64503);
    expect(db.lookup('ipv4', '127.1.1.9')).toEqual({
      asn: 64501,
      asOrg: 'SIMNET-ALPHA example loopback AS',
      country: 'XA',
    });
    expect(asn('ipv6', '::1')).toBe(64505);
    expect(asn('ipv6', '::2')).toBeUndefined();
    expect(asn('ipv6', '2001:db8::')).toBe(64511);
    expect(asn('ipv6', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(64511);
    expect(asn('ipv6', '2001:db9::')).toBeUndefined();
    expect(asn('ipv6', '3fff::1')).toBeUndefined(); // AS 0
    expect(asn('ipv6', '::ffff:192.0.2.77')).toBe(64500); // IPv4-mapped → IPv4 table
    expect(asn('ipv6', '::ffff:c000:24d')).toBe(64500);
    expect(asn('onion', 'abc.onion')).toBeUndefined();
    expect(asn('cjdns', 'fc00::1')).toBeUndefined();
    expect(asn('ipv4', 'not-an-ip')).toBeUndefined();
  });

  it('reads the gzip-compressed file, recognised by content, with CRLF line ends', async () => {
    const text = readFileSync(fixture, 'utf8').replaceAll('\n', '\r\n');
    const { db, ranges } = await loadGeoDb(write('x.tsv.gz', gzipSync(text)));
    expect(ranges).toBe(8);
    expect(db.lookup('ipv4', '198.51.100.1')).toMatchObject({ asn: 64510, country: 'XY' });
  });

  it('names the line of a malformed entry; lenient mode counts it instead', async () => {
    const body = '192.0.2.0\t192.0.2.255\t64500\tZZ\tA\n\n198.51.100.0\t198.51.100.255\tx\tXY\tB\n';
    const f = write('bad.tsv', body);
    const err = await rejection(loadGeoDb(f));
    expect(err).toMatchObject({ code: 'GEO_DB_MALFORMED', line: 3, file: f });
    expect(err.message).toContain(`${f}:3: bad AS number "x"`);
    const lenient = await loadGeoDb(f, { lenient: true });
    expect(lenient).toMatchObject({ ranges: 1, skipped: 1 });
    expect(lenient.firstSkipped).toMatch(/:3: bad AS number/);
  });

  it('refuses a line over 1 KiB (also inside gzip), naming its number', async () => {
    const body = `192.0.2.0\t192.0.2.255\t64500\tZZ\tA\n192.0.3.0\t192.0.3.255\t64501\tZZ\t${'x'.repeat(5000)}\n`;
    for (const f of [write('long.tsv', body), write('long.tsv.gz', gzipSync(body))]) {
      const err = await rejection(loadGeoDb(f));
      expect(err).toMatchObject({ code: 'GEO_DB_LINE_TOO_LONG', line: 2 });
    }
    // A line of exactly 1024 bytes is fine.
    const line = '192.0.2.0\t192.0.2.255\t64500\tZZ\t';
    const ok = await loadGeoDb(write('edge.tsv', `${line}${'y'.repeat(1024 - line.length)}\n`));
    expect(ok.ranges).toBe(1);
  });

  it('resolves overlapping ranges as real files have them: the innermost (latest-starting) range answers', async () => {
    const overlap = write(
      'o.tsv',
      [
        '192.0.2.0\t192.0.2.255\t64500\tZZ\tA', // wide
        '192.0.2.64\t192.0.2.127\t64501\tZZ\tB', // nested in A
        '192.0.2.200\t192.0.3.10\t64502\tZZ\tC', // overlaps A's end, goes past it
        '2001:db8::\t2001:db8::ffff\t64510\tZZ\tV6A',
        '2001:db8::10\t2001:db8::1f\t64511\tZZ\tV6B',
        '',
      ].join('\n'),
    );
    const { db, overlaps } = await loadGeoDb(overlap);
    expect(overlaps).toBe(3);
    const asn = (net: string, h: string) => db.lookup(net, h)?.asn;
    expect(
      [
        '192.0.2.0',
        '192.0.2.63',
        '192.0.2.64',
        '192.0.2.127',
        '192.0.2.128',
        '192.0.2.199',
        '192.0.2.200',
        '192.0.2.255',
        '192.0.3.10',
        '192.0.3.11',
      ].map((h) => asn('ipv4', h)),
    ).toEqual([64500, 64500, 64501, 64501, 64500, 64500, 64502, 64502, 64502, undefined]);
    expect(
      ['2001:db8::f', '2001:db8::10', '2001:db8::1f', '2001:db8::20'].map((h) => asn('ipv6', h)),
    ).toEqual([64510, 64511, 64511, 64510]);
  });

  it('refuses a file with nothing routed, and a missing or corrupt file', async () => {
    const empty = write('e.tsv', '203.0.113.0\t203.0.113.255\t0\tNone\tNot routed\n');
    expect(await rejection(loadGeoDb(empty))).toMatchObject({ code: 'GEO_DB_EMPTY' });
    const missing = path.join(tmp(), 'nope.tsv');
    const err = await rejection(loadGeoDb(missing));
    expect(err).toMatchObject({ code: 'GEO_DB_UNREADABLE', file: missing });
    expect(err.message).toContain(missing);
    const corrupt = write('c.tsv.gz', Buffer.concat([gzipSync(readFileSync(fixture)).subarray(0, 40)]));
    expect(await rejection(loadGeoDb(corrupt))).toMatchObject({ code: 'GEO_DB_UNREADABLE', file: corrupt });
  });
});

describe('cloud providers', () => {
  it('knows the well-known providers and nothing else', () => {
    expect(cloudProvider(16509)).toBe('Amazon AWS');
    expect(cloudProvider(24940)).toBe('Hetzner');
    expect(cloudProvider(13335)).toBe('Cloudflare');
    expect(cloudProvider(64500)).toBeUndefined();
    expect(cloudProvider(0)).toBeUndefined();
  });
  it('takes a JSON extension that adds and removes entries', () => {
    const extra = parseCloudAsns(readFileSync(path.resolve(fixture, '../cloud-asns-test.json'), 'utf8'));
    const cloud = cloudLookup(extra);
    expect(cloud(64501)).toBe('Example Cloud');
    expect(cloud(15169)).toBeUndefined(); // "" removes a built-in entry
    expect(cloud(16509)).toBe('Amazon AWS');
    expect(() => parseCloudAsns('[1]', 'c.json')).toThrow(/c\.json: not a JSON object/);
    expect(() => parseCloudAsns('{"64500": "A", "AS64500": "B"}', 'c.json')).toThrow(
      /"64500" and "AS64500" name the same AS 64500/,
    );
    expect(() => parseCloudAsns('{"16509": "  "}', 'c.json')).toThrow(/provider for "16509" is blank/);
    expect(parseCloudAsns('{"16509": ""}').get(16509)).toBe('');
    expect(() => parseCloudAsns('{"x": "A"}', 'c.json')).toThrow(/bad AS number "x"/);
    expect(() => parseCloudAsns('{"1": 2}', 'c.json')).toThrow(/must be a string/);
    expect(() => parseCloudAsns('{', 'c.json')).toThrow(
      expect.objectContaining({ code: 'CLOUD_ASNS_INVALID' }),
    );
  });
});
