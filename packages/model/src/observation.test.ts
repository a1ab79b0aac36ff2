import { describe, expect, it } from 'vitest';
import {
  MAX_TS_MS,
  type Observation,
  observationFromJson,
  observationToJson,
  truncateText,
} from './observation.ts';

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
  addrs: [{ network: 'onion', host: 'x.onion', port: 8333, services: 1033n, time: 1_700_000_000 }],
};

describe('observation JSON', () => {
  it('round-trips 64-bit services exactly', () => {
    const back = observationFromJson(observationToJson(sample));
    expect(back).toEqual(sample);
    expect(back.peer?.services).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('rejects an unknown outcome with a message naming the field', () => {
    const bad = observationToJson(sample).replace('"ok"', '"maybe"');
    expect(() => observationFromJson(bad)).toThrow(/outcome/);
  });

  it('rejects services beyond uint64', () => {
    const bad = observationToJson(sample).replace('18446744073709551615', '18446744073709551616');
    expect(() => observationFromJson(bad)).toThrow(/uint64/);
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
    const json = (o: Observation) => observationToJson(o);
    const offset = (s: number) =>
      json({ ...sample, peer: { ...(sample.peer as NonNullable<Observation['peer']>), clockOffsetS: s } });
    expect(() => observationFromJson(offset(0x7fff_ffff))).not.toThrow();
    expect(() => observationFromJson(offset(-0x8000_0000))).not.toThrow();
    expect(() => observationFromJson(offset(0x8000_0000))).toThrow(/clockOffsetS/);
    expect(() => observationFromJson(json({ ...sample, ts: MAX_TS_MS }))).not.toThrow();
    expect(() => observationFromJson(json({ ...sample, ts: MAX_TS_MS + 1 }))).toThrow(/ts/);
  });
});
