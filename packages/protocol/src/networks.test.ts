import { describe, expect, it } from 'vitest';
import { parseEndpoint } from './address/index.ts';
import { ProtocolError } from './errors.ts';
import { CHAINS, chainByMagic, chainByName } from './networks.ts';
import { serviceNames } from './services.ts';

describe('chain parameters', () => {
  it('has the magics and ports Core uses', () => {
    expect(Object.values(CHAINS).map((c) => [c.name, c.magicHex, c.defaultPort])).toEqual([
      ['mainnet', 'f9beb4d9', 8333],
      ['testnet', '0b110907', 18333],
      ['testnet4', '1c163f28', 48333],
      ['signet', '0a03cf40', 38333],
      ['regtest', 'fabfb5da', 18444],
    ]);
  });
  it('looks chains up by name (testnet3 alias) and by magic', () => {
    expect(chainByName('testnet3').name).toBe('testnet');
    expect(chainByMagic(Uint8Array.from([0xfa, 0xbf, 0xb5, 0xda]))?.name).toBe('regtest');
    expect(() => chainByName('litecoin')).toThrow(/unknown network "litecoin"/);
  });
  it('an unknown name (prototype keys included) is a ProtocolError naming the valid choices', () => {
    for (const name of ['litecoin', 'toString', '__proto__', '']) {
      let err: unknown;
      try {
        chainByName(name);
      } catch (e) {
        err = e;
      }
      // The CLI maps ProtocolError to a usage error, so the class matters here.
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as Error).message).toBe(
        `unknown network "${name}": choose one of mainnet, testnet, testnet4, signet, regtest (testnet3 is an alias of testnet)`,
      );
    }
  });
  it('every mainnet fixed seed parses as an endpoint', () => {
    expect(CHAINS.mainnet.fixedSeeds.length).toBeGreaterThan(100);
    const networks = new Set(
      CHAINS.mainnet.fixedSeeds.map((s) => parseEndpoint(s, 8333, { cjdns: true }).network),
    );
    expect([...networks].sort()).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6']);
  });
});

describe('service flags', () => {
  it('names known bits and keeps unknown ones', () => {
    expect(serviceNames(0xc09n)).toEqual([
      'NODE_NETWORK',
      'NODE_WITNESS',
      'NODE_NETWORK_LIMITED',
      'NODE_P2P_V2',
    ]);
    expect(serviceNames((1n << 63n) | 64n)).toEqual(['NODE_COMPACT_FILTERS', 'UNKNOWN_BIT_63']);
    expect(serviceNames(0n)).toEqual([]);
  });
});
