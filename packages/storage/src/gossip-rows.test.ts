import { MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
import { type AddrEntry, packAddrs } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { ByteWriter, GOSSIP_COLUMNS, gossipRowBinary } from './gossip-rows.ts';

/** A plain RowBinary reader for the types GOSSIP_COLUMNS names, written apart from the writer. */
class Reader {
  at = 0;
  constructor(private readonly b: Buffer) {}
  done(): boolean {
    return this.at === this.b.length;
  }
  varUint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.b[this.at++] as number;
      n += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return n;
    }
  }
  /** Moves past n bytes; where they start. */
  take(n: number): number {
    this.at += n;
    return this.at - n;
  }
  value(type: string): unknown {
    const element = /^Array\((.*)\)$/.exec(type)?.[1];
    if (element) return Array.from({ length: this.varUint() }, () => this.value(element));
    if (type === 'UInt8') return this.b.readUInt8(this.take(1));
    if (type === 'UInt16') return this.b.readUInt16LE(this.take(2));
    if (type.startsWith('DateTime')) return this.b.readUInt32LE(this.take(4));
    if (type === 'UInt64') return this.b.readBigUInt64LE(this.take(8));
    if (type === 'String' || type === 'LowCardinality(String)') {
      const len = this.varUint();
      const from = this.take(len);
      return this.b.toString('utf8', from, from + len);
    }
    throw new Error(`no reader for ${type}`);
  }
}

describe('ByteWriter', () => {
  it('writes strings as their UTF-8 length (LEB128, past one byte too) and bytes, and grows', () => {
    const long = 'é'.repeat(200); // 400 bytes: a two-byte length
    const w = new ByteWriter(1).text('').text('r1').text(long).uint16(65535).uint32(0xffffffff);
    const r = new Reader(w.finish());
    expect([r.value('String'), r.value('String'), r.value('String')]).toEqual(['', 'r1', long]);
    expect([r.value('UInt16'), r.value('DateTime')]).toEqual([65535, 0xffffffff]);
    expect(r.done()).toBe(true);
  });
});

describe('gossipRowBinary', () => {
  /** BIP155's network ids. */
  const BIP155_ID: Record<string, number> = { ipv4: 1, ipv6: 2, onion: 4, i2p: 5, cjdns: 6 };
  const hosts: AddrEntry[] = [
    { network: 'ipv4', host: '1.2.3.4', port: 8333, services: 1033n, time: 1_765_000_000 },
    { network: 'ipv4', host: '255.0.10.100', port: 0, services: 0n, time: 0 },
    { network: 'ipv6', host: '2001:db8::1', port: 18333, services: 3081n, time: 0xffffffff },
    {
      network: 'onion',
      host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
      port: 9050,
      services: 2n ** 64n - 1n,
      time: 7,
    },
    {
      network: 'i2p',
      host: '2o6clfldp42aegdjsgnhsvyqydqpltmek2k6yq5etw5bxm7kgrqa.b32.i2p',
      port: 0,
      services: 2n ** 53n + 1n,
      time: 9,
    },
    {
      network: 'cjdns',
      host: 'fc00:1:2:3:4:5:6:7',
      port: 65535,
      services: 2n ** 32n + 5n,
      time: 1_700_000_000,
    },
  ];
  const observation = (addrs: AddrEntry[], i: number) =>
    ({
      ts: 1_765_000_123_456 + i,
      crawlId: 'r20261206T000000Z',
      network: 'ipv4',
      host: `10.0.0.${i}`,
      port: 8333,
      addrs: packAddrs(addrs),
    }) as unknown as Observation;
  /** The row as plain code builds it, from the decoded entries, in GOSSIP_COLUMNS' order. */
  const expected = (addrs: AddrEntry[], i: number) => [
    Math.floor((1_765_000_123_456 + i) / 1000),
    'r20261206T000000Z',
    'ipv4',
    `10.0.0.${i}`,
    8333,
    addrs.map((a) => BIP155_ID[a.network]),
    addrs.map((a) => a.host),
    addrs.map((a) => a.port),
    addrs.map((a) => a.services),
    addrs.map((a) => Math.min(a.time, MAX_DATETIME_S)),
  ];

  it('writes one row of arrays per answer, every network, the largest values and a 1,000-entry answer, as plain code would', () => {
    const big = Array.from({ length: 1000 }, (_, i) => ({
      ...(hosts[i % hosts.length] as AddrEntry),
      port: (i * 7919) % 65536,
      time: 1_765_000_000 - i * 613,
    }));
    const answers = [hosts, [], big, hosts.slice(0, 1)];
    const { bytes, rows, entries } = gossipRowBinary(answers.map(observation));
    expect(rows).toBe(3);
    expect(entries).toBe(hosts.length + 1000 + 1);
    const r = new Reader(bytes);
    const got: unknown[][] = [];
    while (!r.done()) got.push(GOSSIP_COLUMNS.map(([, type]) => r.value(type)));
    const want = answers.flatMap((a, i) => (a.length > 0 ? [expected(a, i)] : []));
    expect(got).toEqual(want);
  });
});
