import type { Observation } from '@bitcrawl/model';
import { budget } from '@bitcrawl/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BUFFERED_BYTES } from './byte-budget.ts';
import { crawlerConfigSchema } from './config.ts';
import { afterHandshake, bareHeader, hostilePeer, type Peer } from './hostile-peers.test-util.ts';
import { createVisitor } from './visitor.ts';

/*
 * 2,000 peers at once, each pinning 999,000 bytes of a frame that declares 1,000,000 after the
 * handshake (about 2 GB if each were held), against one engine with the default byte budget.
 * The process's peak RSS growth is measured and printed; it must stay within the budget plus
 * what 4,000 loopback sockets (both ends live in this process) and the visits themselves cost.
 */

const PEERS = 2_000;
const MB = 1024 * 1024;
/** Sockets, sessions, the test's own peers and GC slack, beyond the budget. */
const OVERHEAD_MB = 200;

let peer: Peer | undefined;
afterAll(async () => peer?.close());

describe('byte budget under 2,000 pinning peers', () => {
  it(
    'peak RSS growth stays within the budget plus overhead; the excess peers end malformed (BYTE_BUDGET)',
    async () => {
      const pin = Buffer.concat([bareHeader('addrv2', 1_000_000), new Uint8Array(999_000)]);
      peer = await hostilePeer(afterHandshake((s) => s.write(pin)));
      const port = peer.port;
      const visitor = createVisitor(
        crawlerConfigSchema.parse({
          chain: 'regtest',
          allowPrivate: true,
          transport: 'v1', // the pinning peers speak v1
          // Generous connect and handshake timers: 2,000 dials at once on a loaded machine.
          timeouts: { connectMs: 60_000, handshakeMs: 60_000, getaddrMs: 3_000, sessionMs: 150_000 },
        }),
      );
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      let all: Observation[];
      try {
        all = await Promise.all(
          Array.from({ length: PEERS }, () =>
            visitor.visit({ network: 'ipv4', host: '127.0.0.1', port }, { crawlId: 'rss', explicit: true }),
          ),
        );
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      const growthMb = (peak - base) / MB;
      const byOutcome = new Map<string, number>();
      for (const o of all) byOutcome.set(o.outcome, (byOutcome.get(o.outcome) ?? 0) + 1);
      console.log(
        `2,000 pinning peers: peak RSS ${(peak / MB).toFixed(0)} MB, +${growthMb.toFixed(0)} MB over ` +
          `${(base / MB).toFixed(0)} MB (budget ${DEFAULT_MAX_BUFFERED_BYTES / MB} MiB); outcomes ${JSON.stringify(Object.fromEntries(byOutcome))}`,
      );
      const refused = all.filter((o) => o.outcome === 'malformed');
      for (const o of refused) expect(o.error).toMatch(/^BYTE_BUDGET: /);
      // Every peer completed the handshake; at most budget / 1,000,000 held a frame at once, so most were refused.
      expect(all.every((o) => o.outcome === 'ok' || o.outcome === 'malformed')).toBe(true);
      expect(refused.length).toBeGreaterThan(PEERS / 2);
      expect(growthMb).toBeLessThan(DEFAULT_MAX_BUFFERED_BYTES / MB + OVERHEAD_MB);
    },
    budget(300_000),
  );
});
