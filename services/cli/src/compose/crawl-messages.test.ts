import { crawlerConfigSchema } from '@bitcrawl/crawler';
import { describe, expect, it } from 'vitest';
import { seedLines, unroutedLines } from './crawl-messages.ts';
import { stalledWhy } from './crawl-progress.ts';

const sources = { given: 0, dns: 0, fixed: 0, dnsLookups: 0, dnsFailed: 0 };

describe('what crawl says about its round', () => {
  // Issue 17, finding 5: "about 58 identical `visited 746/757 … 0 visits/s` lines print during a
  // 75 s getaddr wait, with nothing saying why".
  it('a progress line without progress while visits are active says what they wait for and the flag', () => {
    const internet = crawlerConfigSchema.parse({ chain: 'regtest' });
    expect(internet.timeouts.getaddrMs).toBe(75_000);
    expect(stalledWhy(0, 11, internet)).toBe(
      '  (11 visits waiting on slow peers: a getaddr answer is waited for up to 75 s, --getaddr-timeout; on loopback use --profile loopback)',
    );
    // Progress, or nothing in flight: nothing to explain.
    expect(stalledWhy(3, 11, internet)).toBe('');
    expect(stalledWhy(0, 0, internet)).toBe('');
  });

  // Issue 17, finding 3: "16 JSON `DNS seed lookup failed` lines, then `2056 seed addresses
  // enqueued`; nothing said these were the fixed seeds".
  it('names a DNS failure, the fixed seeds and the round in words', () => {
    const lines = seedLines(
      'r20261124T160442Z',
      2056,
      { ...sources, fixed: 2056, dnsLookups: 16, dnsFailed: 16, dnsError: 'ECONNREFUSED' },
      'mainnet',
    );
    expect(lines).toEqual([
      'DNS: every seed lookup failed (16 of 16: ECONNREFUSED): no network, or no DNS server reachable (--dns-server IP, or --no-dns with --seed HOST:PORT)',
      "no addresses from DNS or --seed: using Bitcoin Core's 2056 fixed seeds for mainnet (a list in the source, many of them stale)",
      'round r20261124T160442Z: 2056 seed addresses enqueued (2056 fixed seeds)',
    ]);
    expect(seedLines('r1', 3, { ...sources, given: 3 }, 'regtest')).toEqual([
      'round r1: 3 seed addresses enqueued (3 from --seed)',
    ]);
  });

  it('counts networks skipped for want of a proxy on one line each, naming the flag', () => {
    expect(
      unroutedLines([
        { network: 'onion', addresses: 1032 },
        { network: 'i2p', addresses: 0 },
      ]),
    ).toEqual([
      'onion: 1032 addresses not visited: no way to reach onion from here (--proxy-onion socks5://HOST:PORT (Tor))',
    ]);
  });
});
