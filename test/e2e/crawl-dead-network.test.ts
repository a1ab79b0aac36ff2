import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHAINS } from '@bitcrawl/protocol';
import { cliBudget, freePort } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(1, 120_000) });

/**
 * A network with nothing behind it, on loopback only: a DNS server address where nothing
 * answers, and a SOCKS5 proxy that answers every CONNECT with "network unreachable" (what a
 * machine without a route gets), so no visit can leave the machine.
 */
let proxy: net.Server;
let proxyUrl: string;
beforeAll(async () => {
  proxy = net.createServer((s) => {
    s.on('error', () => {});
    let greeted = false;
    s.on('data', () => {
      if (!greeted) {
        greeted = true;
        s.write(Buffer.from([5, 0])); // no authentication
      } else s.end(Buffer.from([5, 3, 0, 1, 0, 0, 0, 0, 0, 0])); // 3: network unreachable
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
  proxyUrl = `socks5://127.0.0.1:${port}`;
});
afterAll(() => proxy?.close());

describe('crawl --once on a dead network (issue 17, finding 3)', () => {
  it('says DNS failed and the fixed seeds were used, counts unproxied networks apart, exits 3', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-dead-'));
    const deadDns = await freePort();
    const r = await runCli([
      'crawl',
      '--once',
      '--store',
      store,
      '--dns-server',
      `127.0.0.1:${deadDns}`,
      '--proxy',
      proxyUrl,
      '--connect-timeout',
      '2000',
    ]);
    expect(r.status, r.stderr.slice(-2000)).toBe(3);
    const lookups = CHAINS.mainnet.dnsSeeds.length * 2;
    expect(r.stderr).toContain(`DNS: every seed lookup failed (${lookups} of ${lookups}:`);
    expect(r.stderr).not.toContain('"msg":"DNS seed lookup failed"'); // no JSON line per lookup
    const fixed = CHAINS.mainnet.fixedSeeds.length;
    expect(r.stderr).toContain(`using Bitcoin Core's ${fixed} fixed seeds for mainnet`);
    expect(r.stderr).toMatch(
      new RegExp(`round (r\\d{8}T\\d{6}Z): ${fixed} seed addresses enqueued \\(${fixed} fixed seeds\\)`),
    );
    // --proxy carries IPv4, IPv6 and onion; I2P needs its own proxy, CJDNS a route: one line each.
    const i2p = CHAINS.mainnet.fixedSeeds.filter((s) => s.includes('.b32.i2p')).length;
    expect(r.stderr).toContain(
      `i2p: ${i2p} addresses not visited: no way to reach i2p from here (--proxy-i2p`,
    );
    expect(r.stderr).toMatch(/cjdns: \d+ addresses not visited: no way to reach cjdns from here \(--cjdns/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('bitcrawl: no peer reachable: check the network');
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ reachable: 0, seeds: { fixed, dns: 0, given: 0 } });
    expect(summary.visited + summary.notDialed).toBe(fixed);
    expect(summary.byNetwork.find((n: { network: string }) => n.network === 'i2p')).toMatchObject({
      visited: 0,
      notDialed: i2p,
    });
    expect(r.stderr).toContain(`round ${summary.crawlId}: stored in embedded chdb at`);
  });
});
