import { describe, expect, it } from 'vitest';
import { type Observation, observationFromJson, observationToJson } from './observation.ts';

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
