import { describe, expect, it } from 'vitest';
import { crawlerConfigSchema } from './config.ts';
import { createPolicy } from './policy.ts';

const policy = (over: object = {}) => createPolicy(crawlerConfigSchema.parse(over));
const onion = {
  network: 'onion' as const,
  host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
};

describe('dial policy', () => {
  it('refuses non-routable targets unless allowPrivate', () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '100.64.0.1', '169.254.1.1']) {
      expect(policy().decide({ network: 'ipv4', host })).toMatchObject({ dial: false });
      expect(policy({ allowPrivate: true }).decide({ network: 'ipv4', host })).toMatchObject({ dial: true });
    }
    expect(policy().decide({ network: 'ipv6', host: '::1' })).toMatchObject({ dial: false });
    expect(policy().decide({ network: 'ipv4', host: '8.8.8.8' })).toEqual({
      dial: true,
      route: { kind: 'direct' },
    });
  });
  it('never dials unspecified or multicast, even with allowPrivate', () => {
    expect(policy({ allowPrivate: true }).decide({ network: 'ipv4', host: '0.0.0.0' })).toMatchObject({
      dial: false,
    });
    expect(policy({ allowPrivate: true }).decide({ network: 'ipv6', host: 'ff02::1' })).toMatchObject({
      dial: false,
    });
  });
  it('applies the CIDR deny-list to both families', () => {
    const p = policy({ denyCidrs: ['8.8.0.0/16', '2001:4860::/32'] });
    expect(p.decide({ network: 'ipv4', host: '8.8.8.8' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/denied/),
    });
    expect(p.decide({ network: 'ipv4', host: '9.9.9.9' })).toMatchObject({ dial: true });
    expect(p.decide({ network: 'ipv6', host: '2001:4860::8888' })).toMatchObject({ dial: false });
    expect(() => policy({ denyCidrs: ['not a cidr'] })).toThrow(/invalid CIDR/);
  });
  it('overlays need their proxy; CJDNS needs the operator to say there is a route', () => {
    expect(policy().decide(onion)).toMatchObject({ dial: false, reason: expect.stringMatching(/no proxy/) });
    expect(policy({ proxy: 'socks5://127.0.0.1:9050' }).decide(onion)).toEqual({
      dial: true,
      route: { kind: 'socks5', host: '127.0.0.1', port: 9050 },
    });
    const i2p = {
      network: 'i2p' as const,
      host: 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p',
    };
    expect(policy({ proxy: 'socks5://127.0.0.1:9050' }).decide(i2p)).toMatchObject({ dial: false });
    expect(policy({ proxies: { i2p: 'socks5://127.0.0.1:4447' } }).decide(i2p)).toMatchObject({ dial: true });
    const cj = { network: 'cjdns' as const, host: 'fc00::1' };
    expect(policy().decide(cj)).toMatchObject({ dial: false, reason: expect.stringMatching(/CJDNS/) });
    expect(policy({ cjdnsRoute: true }).decide(cj)).toEqual({ dial: true, route: { kind: 'direct' } });
  });
});
