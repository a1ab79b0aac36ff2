import { MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
import { type AddrEntry, packAddrs } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { ByteWriter, gossipTsv } from './gossip-rows.ts';

const written = (n: number) => new ByteWriter(4).uint(n).finish().toString('latin1');

describe('ByteWriter.uint', () => {
  it('writes every integer as its decimal text: each digit count, both sides of each power of ten, up to 2^53', () => {
    const values = [0, 1, 9, 10, 11, 99, 100, 101, 8333, 65535, 0xffffffff, 2 ** 53 - 1, 2 ** 53];
    for (let p = 1; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1);
    for (let i = 0; i < 10_000; i++) values.push(Math.floor(Math.random() * 2 ** (1 + (i % 53))));
    for (const n of values) expect(written(n), String(n)).toBe(String(n));
  });

  it('grows its buffer as rows are written', () => {
    const w = new ByteWriter(1);
    for (let i = 0; i < 1000; i++) w.uint(1_700_000_000 + i).byte(0x2c);
    const text = w.finish().toString('latin1');
    expect(text.split(',').slice(0, 3)).toEqual(['1700000000', '1700000001', '1700000002']);
    expect(text.length).toBe(11_000);
  });
});

describe('gossipTsv', () => {
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
    { network: 'cjdns', host: 'fc00:1:2:3:4:5:6:7', port: 65535, services: 9n, time: 1_700_000_000 },
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
  /** The row as plain code writes it, from the decoded entries. */
  const expected = (addrs: AddrEntry[], i: number) => {
    const list = (xs: (string | number | bigint)[]) => `[${xs.join(',')}]`;
    return [
      String(Math.floor((1_765_000_123_456 + i) / 1000)),
      'r20261206T000000Z',
      'ipv4',
      `10.0.0.${i}`,
      '8333',
      list(addrs.map((a) => BIP155_ID[a.network])),
      list(addrs.map((a) => `'${a.host}'`)),
      list(addrs.map((a) => a.port)),
      list(addrs.map((a) => a.services)),
      list(addrs.map((a) => Math.min(a.time, MAX_DATETIME_S))),
    ].join('\t');
  };

  it('writes one row of arrays per answer, every network, the largest values and a 1,000-entry answer, as plain code would', () => {
    const big = Array.from({ length: 1000 }, (_, i) => ({
      ...(hosts[i % hosts.length] as AddrEntry),
      port: (i * 7919) % 65536,
      time: 1_765_000_000 - i * 613,
    }));
    const answers = [hosts, [], big, hosts.slice(0, 1)];
    const { tsv, rows, entries } = gossipTsv(answers.map(observation));
    expect(rows).toBe(3);
    expect(entries).toBe(hosts.length + 1000 + 1);
    const want = answers.flatMap((a, i) => (a.length > 0 ? [`${expected(a, i)}\n`] : [])).join('');
    expect(tsv.toString('latin1')).toBe(want);
  });
});
