import { packAddrs } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import {
  MAX_TS_MS,
  type Observation,
  observationFromStream,
  observationHeaderJson,
  observationToJson,
  truncateText,
} from './observation.ts';

const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';
/** Through the stream's two fields, as the frontier writes and the ingester reads them. */
const viaStream = (o: Observation) => observationFromStream(observationHeaderJson(o), o.addrs);
const header = (o: Observation) => observationHeaderJson(o);

const sample: Observation = {
  ts: 1_700_000_000_000,
  crawlId: 'r1',
  network: 'ipv4',
  host: '127.0.0.5',
  port: 8333,
  outcome: 'ok',
  error: '',
  peer: {
    protocolVersion: 70016,
    services: 0xffff_ffff_ffff_ffffn,
    userAgent: '/Satoshi:31.0.0/',
    startHeight: 900_000,
    relay: true,
    clockOffsetS: -2,
  },
  connectMs: 3,
  handshakeMs: 9,
  addrs: packAddrs([{ network: 'onion', host: onion, port: 8333, services: 1033n, time: 1_700_000_000 }]),
};

describe('observation on the stream (JSON header + packed gossip)', () => {
  it('round-trips 64-bit services exactly, and the gossip byte for byte', () => {
    const back = viaStream(sample);
    expect(back).toEqual(sample);
    expect(back.peer?.services).toBe(0xffff_ffff_ffff_ffffn);
    expect(header(sample)).not.toContain('addrs');
  });

  it('writes any bigint beyond the schema as text (a caller may pass more fields), and reads back the schema fields', () => {
    const wider = {
      ...sample,
      services: 3081n,
      peer: { ...sample.peer, extra: 1n },
    } as unknown as Observation;
    const json = header(wider);
    expect(json).toContain('"services":"3081"');
    expect(json).toContain('"extra":"1"');
    expect(observationFromStream(json, sample.addrs)).toEqual(sample);
  });

  it('rejects an unknown outcome with a message naming the field', () => {
    const bad = header(sample).replace('"ok"', '"maybe"');
    expect(() => observationFromStream(bad, sample.addrs)).toThrow(/outcome/);
  });

  it('rejects services beyond uint64', () => {
    const bad = header(sample).replace('18446744073709551615', '18446744073709551616');
    expect(() => observationFromStream(bad, sample.addrs)).toThrow(/uint64/);
  });

  it('rejects gossip that is not a whole packed list, with MALFORMED', () => {
    expect(() => observationFromStream(header(sample), sample.addrs.subarray(0, 20))).toThrow(
      expect.objectContaining({ code: 'MALFORMED' }),
    );
    // Well formed, but a network id storage does not know (7), or an IPv4 address of 5 bytes.
    const odd = (id: number, len: number) =>
      Uint8Array.from([1, 0, 0, 0, 0, 1, id, len, ...new Uint8Array(len), 0x20, 0x8d]);
    expect(() => observationFromStream(header(sample), odd(7, 4))).toThrow(/network id 7/);
    expect(() => observationFromStream(header(sample), odd(1, 5))).toThrow(/ipv4 address of 5 bytes/);
    expect(observationFromStream(header(sample), odd(1, 4)).addrs).toHaveLength(14);
  });

  it('prints as JSON with the gossip decoded (visit output, dead letters)', () => {
    expect(JSON.parse(observationToJson(sample)).addrs).toEqual([
      { network: 'onion', host: onion, port: 8333, services: '1033', time: 1_700_000_000 },
    ]);
  });
});

describe('observation bounds', () => {
  it('truncateText never leaves half of a surrogate pair', () => {
    const text = `${'x'.repeat(1023)}😀tail`;
    const cut = truncateText(text, 1024);
    expect(cut).toBe('x'.repeat(1023));
    expect(truncateText('short', 1024)).toBe('short');
    expect(truncateText(`${'y'.repeat(1024)}😀`, 1024)).toHaveLength(1024);
  });

  it('rejects a clock offset outside Int32 and a time past ClickHouse DateTime', () => {
    const offset = (s: number) =>
      viaStream({
        ...sample,
        peer: { ...(sample.peer as NonNullable<Observation['peer']>), clockOffsetS: s },
      });
    expect(() => offset(0x7fff_ffff)).not.toThrow();
    expect(() => offset(-0x8000_0000)).not.toThrow();
    expect(() => offset(0x8000_0000)).toThrow(/clockOffsetS/);
    expect(() => viaStream({ ...sample, ts: MAX_TS_MS })).not.toThrow();
    expect(() => viaStream({ ...sample, ts: MAX_TS_MS + 1 })).toThrow(/ts/);
  });
});
