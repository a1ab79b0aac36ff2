import { describe, expect, it } from 'vitest';
import { endpointOf } from './sql-values.ts';

describe('endpointOf', () => {
  it("reads a row's network, host and port as the protocol's Endpoint (numbers from text too)", () => {
    expect(endpointOf({ network: 'cjdns', host: 'fc00::1', port: '8333', other: 1 })).toEqual({
      network: 'cjdns',
      host: 'fc00::1',
      port: 8333,
    });
  });
  it('says so on a network the crawler never writes', () => {
    expect(() => endpointOf({ network: 'torv2', host: 'x.onion', port: 8333 })).toThrow(
      'a row of network "torv2": not one the crawler writes',
    );
  });
});
