import { describe, expect, it } from 'vitest';
import { crawlerConfigSchema, timeoutsFor } from './config.ts';
import { ProxyUrlError, parseProxyUrl } from './dial.ts';
import { BAD_PORTS, createPolicy } from './policy.ts';

const policy = (over: object = {}) => createPolicy(crawlerConfigSchema.parse(over));
const onion = {
  network: 'onion' as const,
  host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
};
const i2p = {
  network: 'i2p' as const,
  host: 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p',
};
const tor = { kind: 'socks', type: 5, host: '127.0.0.1', port: 9050 } as const;

describe('dial policy', () => {
  it("refuses gossiped IPv4/IPv6 targets on Core's 85 bad ports and port 0; an explicit target may name any", () => {
    expect(BAD_PORTS.size).toBe(85);
    const p = policy();
    for (const port of [22, 25, 3306, 27017, 1]) {
      for (const network of ['ipv4', 'ipv6'] as const) {
        const host = network === 'ipv4' ? '8.8.8.8' : '2001:4860::8888';
        const d = p.decide({ network, host, port });
        expect(d).toMatchObject({ dial: false, rule: 'bad_port' });
        if (!d.dial) expect(d.reason).toContain(`port ${port}`);
        expect(p.decide({ network, host, port }, { explicit: true })).toMatchObject({ dial: true });
      }
    }
    expect(p.decide({ network: 'ipv4', host: '8.8.8.8', port: 0 })).toMatchObject({
      dial: false,
      rule: 'port_zero',
    });
    expect(p.decide({ network: 'ipv4', host: '8.8.8.8', port: 0 }, { explicit: true })).toMatchObject({
      dial: true,
    });
    for (const port of [8333, 18333, 2, 24, 65535]) {
      expect(p.decide({ network: 'ipv4', host: '8.8.8.8', port })).toMatchObject({ dial: true });
    }
    // ALLOW_BAD_PORTS lifts the list, never port 0.
    const lax = policy({ allowBadPorts: true });
    expect(lax.decide({ network: 'ipv4', host: '8.8.8.8', port: 22 })).toMatchObject({ dial: true });
    expect(lax.decide({ network: 'ipv4', host: '8.8.8.8', port: 0 })).toMatchObject({ dial: false });
  });

  it('I2P addresses carry port 0 (SAM 3.1 has no ports); overlays are not port-scanned through', () => {
    const p = policy({ proxies: { i2p: 'socks5://127.0.0.1:4447', onion: 'socks5://127.0.0.1:9050' } });
    expect(p.decide({ ...i2p, port: 0 })).toMatchObject({ dial: true });
    expect(p.decide({ ...onion, port: 22 })).toMatchObject({ dial: true });
    expect(p.decide({ ...onion, port: 0 })).toMatchObject({ dial: false, rule: 'port_zero' });
  });

  it('refuses non-routable targets unless allowPrivate', () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '100.64.0.1', '169.254.1.1']) {
      expect(policy().decide({ network: 'ipv4', host })).toMatchObject({ dial: false });
      expect(policy({ allowPrivate: true }).decide({ network: 'ipv4', host })).toMatchObject({ dial: true });
    }
    expect(policy().decide({ network: 'ipv6', host: '::1' })).toMatchObject({ dial: false });
    expect(policy().decide({ network: 'ipv4', host: '8.8.8.8' })).toEqual({
      dial: true,
      route: { kind: 'direct' },
      target: { network: 'ipv4', host: '8.8.8.8' },
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

  it('IPv4-mapped IPv6 is IPv4: classified, deny-listed and dialed as IPv4', () => {
    for (const host of ['::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a00:1', '::FFFF:7F00:1']) {
      expect(policy().decide({ network: 'ipv6', host }), host).toMatchObject({
        dial: false,
        reason: expect.stringMatching(/non-routable/),
      });
    }
    expect(policy({ allowPrivate: true }).decide({ network: 'ipv6', host: '::ffff:0.0.0.0' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/unspecified/),
    });
    expect(policy({ allowPrivate: true }).decide({ network: 'ipv6', host: '::ffff:127.0.0.1' })).toEqual({
      dial: true,
      route: { kind: 'direct' },
      target: { network: 'ipv4', host: '127.0.0.1' },
    });
    const p = policy({ denyCidrs: ['8.8.0.0/16'] });
    expect(p.decide({ network: 'ipv6', host: '::ffff:8.8.8.8' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/denied by 8\.8\.0\.0\/16/),
    });
    expect(p.decide({ network: 'ipv6', host: '::ffff:9.9.9.9' })).toMatchObject({
      dial: true,
      target: { network: 'ipv4', host: '9.9.9.9' },
    });
    // An IPv6 deny range written in mapped form covers plain IPv4 targets too.
    expect(
      policy({ denyCidrs: ['::ffff:9.9.0.0/112'] }).decide({ network: 'ipv4', host: '9.9.9.9' }),
    ).toMatchObject({ dial: false });
  });

  it('an IPv6 address embedding a non-routable IPv4 (NAT64, 6to4, Teredo, compatible) is that IPv4', () => {
    for (const host of [
      '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
      '64:ff9b::a00:1', // NAT64 of 10.0.0.1
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1
      '::7f00:1', // IPv4-compatible 127.0.0.1
    ]) {
      expect(policy().decide({ network: 'ipv6', host }), host).toMatchObject({
        dial: false,
        reason: expect.stringMatching(/embedded as/),
      });
    }
    // Local-use NAT64 (RFC 8215) is not globally reachable, whatever it embeds and wherever
    // (its prefix length, and so the IPv4's position, is the local network's choice).
    for (const host of ['64:ff9b:1::c0a8:1', '64:ff9b:1::808:808', '64:ff9b:1:808:808::']) {
      expect(policy().decide({ network: 'ipv6', host }), host).toMatchObject({
        dial: false,
        reason: expect.stringMatching(/non-routable address \(rfc8215\)/),
      });
    }
    // NAT64 is routable in Core when the IPv4 inside is.
    expect(policy().decide({ network: 'ipv6', host: '64:ff9b::808:808' })).toMatchObject({
      dial: true,
      target: { network: 'ipv6', host: '64:ff9b::808:808' },
    });
    expect(
      policy({ denyCidrs: ['8.8.0.0/16'] }).decide({ network: 'ipv6', host: '64:ff9b::808:808' }),
    ).toMatchObject({ dial: false, reason: expect.stringMatching(/denied/) });
  });

  it('hosts must be addresses of their network: never a name that would go through DNS', () => {
    const p = policy({ allowPrivate: true, cjdnsRoute: true, proxy: 'socks5://127.0.0.1:9050' });
    const bad = [
      { network: 'ipv4', host: 'localhost' },
      { network: 'ipv4', host: 'example.com' },
      { network: 'ipv4', host: '127.1' },
      { network: 'ipv4', host: '0x7f.0.0.1' },
      { network: 'ipv4', host: '::1' },
      { network: 'ipv4', host: '' },
      { network: 'ipv4', host: '1'.repeat(10_000) },
      { network: 'ipv6', host: 'localhost' },
      { network: 'ipv6', host: '127.0.0.1' },
      { network: 'ipv6', host: 'fe80::1%eth0' },
      { network: 'cjdns', host: '127.0.0.1' },
      { network: 'cjdns', host: 'localhost' },
      { network: 'cjdns', host: 'fd00::1' },
      { network: 'cjdns', host: '2001:db8::1' },
      { network: 'onion', host: '10.0.0.1' },
      { network: 'onion', host: 'localhost' },
      { network: 'onion', host: `${'a'.repeat(56)}.onion` }, // bad checksum
      { network: 'onion', host: 'expyuzz4wqqyqhjn.onion' }, // Tor v2
      { network: 'i2p', host: '10.0.0.1' },
      { network: 'i2p', host: 'example.i2p' },
      { network: 'nope', host: '1.2.3.4' },
    ] as const;
    for (const t of bad) {
      const d = p.decide(t as { network: 'ipv4'; host: string });
      expect(d, `${t.network} ${t.host.slice(0, 20)}`).toMatchObject({
        dial: false,
        reason: expect.stringMatching(/invalid|unknown network/),
      });
    }
    // Non-canonical but valid text is dialed in canonical form.
    expect(policy().decide({ network: 'ipv6', host: '2001:DB8:0:0:0:0:0:1' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/rfc3849/),
    });
    expect(p.decide({ network: 'ipv6', host: '2A00:1450:0:0::1' })).toMatchObject({
      target: { network: 'ipv6', host: '2a00:1450::1' },
    });
    expect(p.decide({ ...onion, host: onion.host.toUpperCase() })).toMatchObject({ target: onion });
  });

  it('overlays need their proxy; CJDNS needs the operator to say there is a route', () => {
    expect(policy().decide(onion)).toMatchObject({ dial: false, reason: expect.stringMatching(/no proxy/) });
    expect(policy({ proxy: 'socks5://127.0.0.1:9050' }).decide(onion)).toEqual({
      dial: true,
      route: tor,
      target: onion,
    });
    expect(policy({ proxy: 'socks5://127.0.0.1:9050' }).decide(i2p)).toMatchObject({ dial: false });
    expect(policy({ proxies: { i2p: 'socks5://127.0.0.1:4447' } }).decide(i2p)).toMatchObject({ dial: true });
    const cj = { network: 'cjdns' as const, host: 'fc00::1' };
    expect(policy().decide(cj)).toMatchObject({ dial: false, reason: expect.stringMatching(/CJDNS/) });
    expect(policy({ cjdnsRoute: true }).decide(cj)).toEqual({
      dial: true,
      route: { kind: 'direct' },
      target: cj,
    });
  });

  it('the deny-list applies to CJDNS', () => {
    const p = policy({ cjdnsRoute: true, denyCidrs: ['fc00::/8'] });
    expect(p.decide({ network: 'cjdns', host: 'fc00::1' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/denied by fc00::\/8/),
    });
  });

  it('passes proxy credentials on (Tor stream isolation); SOCKS4 cannot reach IPv6', () => {
    expect(policy({ proxy: 'socks5h://crawl:s%40cret@127.0.0.1:9050' }).decide(onion)).toMatchObject({
      route: { ...tor, userId: 'crawl', password: 's@cret' },
    });
    const s4 = policy({ proxy: 'socks4://me@127.0.0.1:1080' });
    expect(s4.decide({ network: 'ipv4', host: '8.8.8.8' })).toMatchObject({
      dial: true,
      route: { kind: 'socks', type: 4, userId: 'me' },
    });
    expect(s4.decide({ network: 'ipv6', host: '2a00:1450::1' })).toMatchObject({
      dial: false,
      reason: expect.stringMatching(/SOCKS4/),
    });
  });
});

describe('proxy URLs', () => {
  it('accepts socks5, socks5h and socks4 with host:port and optional credentials', () => {
    expect(parseProxyUrl('socks5://127.0.0.1:9050')).toEqual({ type: 5, host: '127.0.0.1', port: 9050 });
    expect(parseProxyUrl('socks5h://tor:9050/')).toEqual({ type: 5, host: 'tor', port: 9050 });
    expect(parseProxyUrl('socks5://[::1]:9050')).toEqual({ type: 5, host: '::1', port: 9050 });
    expect(parseProxyUrl('socks4://127.0.0.1:1080')).toEqual({ type: 4, host: '127.0.0.1', port: 1080 });
  });

  it('rejects anything else, with the password redacted from the message', () => {
    for (const url of [
      'http://127.0.0.1:9',
      'socks5://127.0.0.1',
      'socks5://127.0.0.1:0',
      'socks5://127.0.0.1:70000',
      'socks5://:9050',
      'socks5://127.0.0.1:9050/path',
      'socks5://127.0.0.1:9050?x=1',
      'socks4://u:p@127.0.0.1:1080',
      '127.0.0.1:9050',
      'not a url',
    ]) {
      expect(() => parseProxyUrl(url), url).toThrow(ProxyUrlError);
    }
    expect(() => parseProxyUrl('http://user:hunter2@127.0.0.1:9')).toThrow(/user:\*\*\*@/);
    expect(() => parseProxyUrl('http://user:hunter2@127.0.0.1:9')).not.toThrow(/hunter2/);
  });

  it('a bad proxy URL fails config parsing, not the first dial', () => {
    expect(() => crawlerConfigSchema.parse({ proxy: 'http://127.0.0.1:9' })).toThrow(/unsupported scheme/);
    expect(() => crawlerConfigSchema.parse({ proxies: { onion: 'socks5://h' } })).toThrow(/missing port/);
    expect(() => crawlerConfigSchema.parse({ proxies: { i2p: 'ftp://x:1' } })).toThrow(/invalid proxy URL/);
  });
});

describe('timeouts', () => {
  it('overlays get slow floors: a global value may raise them, only a per-network value lowers them', () => {
    const d = crawlerConfigSchema.parse({});
    expect(timeoutsFor(d, 'ipv4')).toMatchObject({
      connectMs: 3_000,
      tentativeIdleMs: 10_000,
      sessionMs: 120_000,
    });
    expect(timeoutsFor(d, 'onion')).toMatchObject({
      connectMs: 30_000,
      handshakeMs: 30_000,
      sessionMs: 180_000,
    });
    const c = crawlerConfigSchema.parse({ timeouts: { connectMs: 60_000, tentativeIdleMs: 5_000 } });
    for (const n of ['ipv4', 'onion', 'i2p'] as const) {
      expect(timeoutsFor(c, n)).toMatchObject({ connectMs: 60_000, tentativeIdleMs: 5_000 });
    }
    expect(timeoutsFor(c, 'onion').handshakeMs).toBe(30_000);
    const per = crawlerConfigSchema.parse({
      timeouts: { connectMs: 60_000 },
      networkTimeouts: { i2p: { connectMs: 90_000 } },
    });
    expect(timeoutsFor(per, 'i2p').connectMs).toBe(90_000);
    expect(timeoutsFor(per, 'onion').connectMs).toBe(60_000);
    const tight = crawlerConfigSchema.parse({
      timeouts: { connectMs: 1_500 },
      networkTimeouts: { i2p: { connectMs: 5_000 } },
    });
    expect(timeoutsFor(tight, 'ipv4').connectMs).toBe(1_500);
    expect(timeoutsFor(tight, 'cjdns').connectMs).toBe(1_500);
    expect(timeoutsFor(tight, 'onion').connectMs).toBe(30_000);
    expect(timeoutsFor(tight, 'i2p').connectMs).toBe(5_000);
  });

  it('an unset session cap grows to fit the getaddr wait; a set one that cannot is rejected', () => {
    const c = crawlerConfigSchema.parse({ timeouts: { getaddrMs: 200_000 } });
    expect(timeoutsFor(c, 'ipv4').sessionMs).toBe(3_000 + 10_000 + 200_000 + 10_000);
    expect(timeoutsFor(c, 'ipv4').sessionMs).toBeGreaterThan(timeoutsFor(c, 'ipv4').getaddrMs);
    expect(() => crawlerConfigSchema.parse({ timeouts: { getaddrMs: 200_000, sessionMs: 150_000 } })).toThrow(
      /getaddrMs \(200000\) must be less than sessionMs \(150000\)/,
    );
    expect(() => crawlerConfigSchema.parse({ networkTimeouts: { onion: { sessionMs: 1_000 } } })).toThrow(
      /for onion/,
    );
  });
});
