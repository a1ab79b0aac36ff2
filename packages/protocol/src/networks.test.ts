import { describe, expect, it } from 'vitest';
import { parseEndpoint } from './address/index.ts';
import { ProtocolError } from './errors.ts';
import { CHAINS, type ChainName, chainByMagic, chainByName } from './networks.ts';
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
  it("every chain's fixed seeds parse as endpoints of the networks Core lists them for", () => {
    const networksOf = (name: ChainName) =>
      [
        ...new Set(
          CHAINS[name].fixedSeeds.map(
            (s) => parseEndpoint(s, CHAINS[name].defaultPort, { cjdns: true }).network,
          ),
        ),
      ].sort();
    expect(CHAINS.mainnet.fixedSeeds.length).toBeGreaterThan(2000);
    expect(networksOf('mainnet')).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
    expect(CHAINS.testnet4.fixedSeeds.length).toBeGreaterThan(200);
    expect(networksOf('testnet4')).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
    expect(CHAINS.signet.fixedSeeds.length).toBeGreaterThan(150);
    expect(networksOf('signet')).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
    // Core's nodes_test.txt lists no endpoints (only obsolete Tor v2 names, long removed).
    expect(CHAINS.testnet.fixedSeeds).toEqual([]);
    expect(CHAINS.regtest.fixedSeeds).toEqual([]);
    // IP seeds carry their chain's port; I2P ones port 0, as Core writes them.
    for (const name of ['mainnet', 'testnet4', 'signet'] as const)
      for (const s of CHAINS[name].fixedSeeds)
        expect(s.endsWith(s.includes('.b32.i2p') ? ':0' : `:${CHAINS[name].defaultPort}`)).toBe(true);
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
