import type { NodeReliability, SnapshotNode } from '@bitcrawl/storage';
import { describe, expect, it } from 'vitest';
import { bitnodesEntry, bitnodesHead } from './bitnodes.ts';
import { DNSSEED_HEADER, dnsseedLine } from './dnsseed.ts';
import { CSV_COLUMNS, csvLine } from './reliability-csv.ts';

const node: NodeReliability = {
  network: 'ipv6',
  host: '2001:db8::1',
  port: 8333,
  firstSeen: 1_790_000_000,
  lastSeen: 1_790_001_800,
  lastSuccess: 1_790_001_800,
  visits: 2,
  successes: 2,
  reliability: { '2h': 1, '8h': 0.5, '1d': 0.123456, '7d': 0.99999, '30d': 0 },
  weightedVisits: { '2h': 1.5, '8h': 1.9, '1d': 2, '7d': 2, '30d': 2 },
  good: true,
  protocolVersion: 70016,
  services: '3081',
  userAgent: '/Satoshi:30.0.0/"x"\n',
  startHeight: 900_000,
  upSince: 1_790_000_000,
};

describe('dnsseed.dump lines', () => {
  it('lay the columns out as bitcoin-seeder does, the agent as a JSON string', () => {
    expect(DNSSEED_HEADER.startsWith('# address')).toBe(true);
    expect(dnsseedLine(node)).toBe(
      `${'[2001:db8::1]:8333'.padEnd(47)}     1   1790001800  100.00%  50.00%  12.35% 100.00%   0.00%  900000  00000c09  70016 "/Satoshi:30.0.0/\\"x\\"\\n"\n`,
    );
  });
});

describe('the reliability CSV', () => {
  it('has a header and quotes what needs it', () => {
    const line = csvLine(node);
    expect(line.split(',')).toHaveLength(CSV_COLUMNS.length); // no value here holds a comma
    expect(
      line.startsWith('ipv6,2001:db8::1,8333,1,1790000000,1790001800,1790001800,1790000000,2,2,1.000000,'),
    ).toBe(true);
    expect(line).toContain('"/Satoshi:30.0.0/""x""\n"');
  });
});

describe('Bitnodes entries', () => {
  const snap: SnapshotNode = { ...node, asn: 0, asOrg: '', country: '', city: '', timezone: '' };
  it('have 13 fields in Bitnodes order with null where unknown', () => {
    expect(JSON.parse(`{${bitnodesEntry(snap)}}`)).toEqual({
      '[2001:db8::1]:8333': [
        70016,
        node.userAgent,
        1_790_000_000,
        3081,
        900_000,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ],
    });
    const onion = { ...snap, network: 'onion' as const, host: `${'a'.repeat(56)}.onion`, upSince: 0 };
    expect(JSON.parse(`{${bitnodesEntry(onion)}}`)[`${'a'.repeat(56)}.onion:8333`]).toEqual([
      70016,
      node.userAgent,
      null,
      3081,
      900_000,
      null,
      null,
      null,
      null,
      null,
      null,
      'TOR',
      'Tor network',
    ]);
    const placed = {
      ...snap,
      asn: 64500,
      asOrg: 'Org',
      country: 'XA',
      city: 'C',
      timezone: 'Etc/UTC',
      latitude: 0,
      longitude: 1.25,
    };
    expect(JSON.parse(`{${bitnodesEntry(placed)}}`)['[2001:db8::1]:8333'].slice(6)).toEqual([
      'C',
      'XA',
      0,
      1.25,
      'Etc/UTC',
      'AS64500',
      'Org',
    ]);
  });
  it('keep every digit of a 64-bit services field', () => {
    const big = { ...snap, services: '18446744073709551615' };
    expect(bitnodesEntry(big)).toContain(',18446744073709551615,');
    expect(bitnodesHead(1, 2, 3)).toBe('{"timestamp":1,"total_nodes":2,"latest_height":3,"nodes":{');
  });
});
