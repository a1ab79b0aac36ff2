import net from 'node:net';
import {
  CHAINS,
  coreVersion,
  decodeMessage,
  encodeMessageFrame,
  FrameParser,
  type Message,
} from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { coreAnswerSize, generate } from './generate.ts';
import type { GroundTruth } from './ground-truth.ts';
import { startSimnet } from './simnet.ts';
import { DEMO_SPEC, NODE_KINDS, simnetSpecSchema } from './spec.ts';

const magic = CHAINS.mainnet.magic;

/** A raw client: sends messages, collects what comes back until the peer closes or `ms` pass. */
async function talk(
  endpoint: { host: string; port: number },
  script: (send: (m: Message) => void, got: Message[]) => void,
  ms = 800,
) {
  const got: Message[] = [];
  let closedByPeer = false;
  await new Promise<void>((resolve) => {
    const s = net.connect(endpoint);
    const parser = new FrameParser(magic);
    const send = (m: Message) => s.write(encodeMessageFrame(magic, m));
    s.on('connect', () => script(send, got));
    s.on('data', (d) => {
      for (const f of parser.push(d)) {
        got.push(decodeMessage(f));
        script(send, got);
      }
    });
    s.on('close', () => {
      closedByPeer = true;
      resolve();
    });
    s.on('error', () => {});
    setTimeout(() => {
      s.destroy();
      resolve();
    }, ms);
  });
  return { got, closedByPeer };
}

const version: Message = coreVersion({
  services: 0n,
  timestamp: 0n,
  addrRecv: { services: 0n, network: 'ipv4', host: '127.0.0.1', port: 8333 },
  userAgent: '/test/',
  startHeight: 0,
  relay: false,
});

/** Our side as the crawler plays it: version + sendaddrv2 at once; verack and getaddr on their version. */
const asCrawler =
  (getaddrs: number) =>
  (send: (m: Message) => void, got: Message[]): void => {
    if (got.length === 0) {
      send(version);
      send({ command: 'sendaddrv2' });
    }
    if (got.at(-1)?.command === 'version') {
      send({ command: 'verack' });
      for (let i = 0; i < getaddrs; i++) send({ command: 'getaddr' });
    }
  };

/** How many addresses a crawl from the seeds can discover through the gossip graph. */
function reachableFromSeeds(truth: GroundTruth): number {
  const byEndpoint = new Map(truth.nodes.map((n) => [n.endpoint, n]));
  const seen = new Set(truth.seeds);
  const queue = [...truth.seeds];
  while (queue.length) {
    const n = byEndpoint.get(queue.shift() as string)!;
    for (const x of n.answer) {
      const e = byEndpoint.get(
        x.network === 'ipv6' || x.network === 'cjdns' ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`,
      )!;
      if (!seen.has(e.endpoint)) {
        seen.add(e.endpoint);
        queue.push(e.endpoint);
      }
    }
  }
  return seen.size;
}

describe('simnet', () => {
  it('sizes every answer as Core does: 23% of the table, at most 1000, nothing under 5 known', () => {
    expect([0, 4, 5, 8, 9, 100, 4347, 4348, 200_000].map(coreAnswerSize)).toEqual([
      0, 0, 1, 1, 2, 23, 999, 1000, 1000,
    ]);
    const truth = generate(
      simnetSpecSchema.parse({ seed: 3, nodes: 600, kinds: { core: 1 }, table: { min: 0, max: 60 } }),
    ).truth;
    const sizes = truth.nodes.filter((n) => n.kind === 'core').map((n) => n.answer.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(coreAnswerSize(60));
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThan(10); // tables under 5 (and 5..8 give 1)
    expect(sizes.filter((n) => n === 1).length).toBeGreaterThan(10);
    expect(reachableFromSeeds(truth)).toBe(truth.nodes.length);
    expect(() =>
      generate(simnetSpecSchema.parse({ nodes: 200, kinds: { core: 1 }, table: { min: 0, max: 4 } })),
    ).toThrow(/tables too small/);
  });

  it('takes the version mix from the spec, and refuses a network where nobody listens', () => {
    const truth = generate(
      simnetSpecSchema.parse({
        seed: 4,
        nodes: 50,
        kinds: { core: 1 },
        versions: {
          agents: { '/Knots:29.1/': 1 },
          services: [1033],
          startHeight: { min: 7, max: 7 },
          relay: 0,
        },
      }),
    ).truth;
    for (const n of truth.nodes.filter((x) => x.kind === 'core')) {
      expect(n.version).toEqual({
        protocolVersion: 70016,
        services: '1033',
        userAgent: '/Knots:29.1/',
        startHeight: 7,
        relay: false,
      });
    }
    expect(() => simnetSpecSchema.parse({ unreachableFraction: 1 })).toThrow(/unreachableFraction/);
  });

  it('a Core-like node that knows fewer than 5 addresses answers getaddr with nothing, and stays connected', async () => {
    // No self-announcements: the node's only addr would be its own (which node is picked
    // depends on the seeded plan).
    const sim = await startSimnet({
      seed: 12,
      nodes: 400,
      kinds: { core: 1 },
      table: { min: 0, max: 40 },
      selfAnnounce: 0,
    });
    try {
      const node = sim.groundTruth.nodes.find((n) => n.kind === 'core' && n.answer.length === 0)!;
      expect(node).toBeDefined();
      const r = await talk(node, asCrawler(1));
      expect(r.got.map((m) => m.command)).toContain('feefilter');
      expect(r.got.some((m) => m.command === 'addr' || m.command === 'addrv2')).toBe(false);
      expect(r.closedByPeer).toBe(false);
    } finally {
      await sim.stop();
    }
  });

  it('a Core-like node drops a peer with the wrong magic without a word', async () => {
    const sim = await startSimnet({ seed: 13, nodes: 5, kinds: { core: 1 } });
    try {
      const node = sim.groundTruth.nodes[0]!;
      const got: Buffer[] = [];
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect(node);
        s.on('connect', () => s.write(encodeMessageFrame(CHAINS.testnet.magic, version)));
        s.on('data', (d) => got.push(d));
        s.on('close', () => resolve(true));
        s.on('error', () => {});
        setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 800);
      });
      expect(closed).toBe(true);
      expect(Buffer.concat(got).length).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  it('rejects a bad spec with a message naming the field', () => {
    expect(() => simnetSpecSchema.parse({ nodes: 0 })).toThrow(/nodes/);
    expect(() => simnetSpecSchema.parse({ table: { min: 10, max: 5 } })).toThrow(/min must be <= max/);
  });

  it('is deterministic, and every address is reachable from the seeds through the gossip graph', () => {
    const spec = simnetSpecSchema.parse({
      seed: 5,
      nodes: 300,
      kinds: { core: 3, legacy: 1, silent: 1 },
      onion: 5,
      i2p: 5,
    });
    const a = generate(spec).truth;
    expect(generate(spec).truth).toEqual(a);
    expect(reachableFromSeeds(a)).toBe(a.nodes.length);
    for (const n of a.nodes.filter((x) => x.kind === 'legacy')) {
      expect(n.answer.every((x) => x.network === 'ipv4' || x.network === 'ipv6')).toBe(true);
    }
  });

  it('a Core-like node follows Core 31 order, answers getaddr once, and drops a late sendaddrv2', async () => {
    const sim = await startSimnet({ seed: 9, nodes: 30, kinds: { core: 1 }, selfAnnounce: 0 });
    try {
      const node = sim.groundTruth.nodes[0]!;
      const r = await talk(node, asCrawler(2));
      expect(r.got.map((m) => m.command)).toEqual([
        'version',
        'wtxidrelay',
        'sendaddrv2',
        'verack',
        'sendcmpct',
        'ping',
        'feefilter',
        'addrv2',
      ]);
      const answer = r.got.at(-1);
      expect(answer?.command === 'addrv2' && answer.addresses.length).toBe(node.answer.length);

      const late = await talk(node, (send, got) => {
        if (got.length === 0) send(version);
        if (got.at(-1)?.command === 'verack') {
          send({ command: 'verack' });
          send({ command: 'sendaddrv2' });
          send({ command: 'getaddr' });
        }
      });
      expect(late.closedByPeer).toBe(true);
      expect(late.got.some((m) => m.command === 'addr' || m.command === 'addrv2')).toBe(false);

      const notVersion = await talk(node, (send, got) => {
        if (got.length === 0) send({ command: 'ping', nonce: 1n });
      });
      expect(notVersion.closedByPeer).toBe(true);
      expect(notVersion.got).toEqual([]);
    } finally {
      await sim.stop();
    }
  });

  it("a node's version carries the time of each visit (its skew at most 5 s), the frame's checksum valid", async () => {
    const sim = await startSimnet({ seed: 9, nodes: 30, kinds: { core: 1 }, selfAnnounce: 0 });
    try {
      const node = sim.groundTruth.nodes[0]!;
      const stamps: bigint[] = [];
      for (let visit = 0; visit < 2; visit++) {
        const before = Math.floor(Date.now() / 1000);
        // `talk` parses every frame: a stale checksum would throw BAD_CHECKSUM here.
        const r = await talk(node, asCrawler(0), 200);
        const after = Math.floor(Date.now() / 1000);
        const v = r.got[0];
        if (v?.command !== 'version') throw new Error(`expected version, got ${v?.command}`);
        expect(Number(v.timestamp)).toBeGreaterThanOrEqual(before - 5);
        expect(Number(v.timestamp)).toBeLessThanOrEqual(after + 5);
        expect(v.userAgent).toBe(node.version?.userAgent ?? '/Satoshi:31.0.0/');
        stamps.push(v.timestamp);
        // The second visit comes in a later second, so the node re-stamps its cached burst.
        if (visit === 0) await new Promise((r) => setTimeout(r, 1100));
      }
      expect((stamps[1] as bigint) - (stamps[0] as bigint)).toBeGreaterThanOrEqual(1n);
    } finally {
      await sim.stop();
    }
  });

  it('a legacy node answers addr v1 split over several messages', async () => {
    const sim = await startSimnet({ seed: 4, nodes: 40, kinds: { legacy: 1 } });
    try {
      const node = sim.groundTruth.nodes.find((n) => n.kind === 'legacy')!;
      const r = await talk(node, (send, got) => {
        if (got.length === 0) send(version);
        if (got.at(-1)?.command === 'verack') {
          send({ command: 'verack' });
          send({ command: 'getaddr' });
        }
      });
      const parts = r.got.filter((m) => m.command === 'addr');
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.reduce((s, m) => s + (m.command === 'addr' ? m.addresses.length : 0), 0)).toBe(
        node.answer.length,
      );
      expect(r.got[0]).toMatchObject({ command: 'version', version: 70015 });
    } finally {
      await sim.stop();
    }
  });

  it('closes its side of every connection the crawler closed, whatever the node kind', async () => {
    const sim = await startSimnet({
      seed: 14,
      nodes: 60,
      kinds: Object.fromEntries(NODE_KINDS.map((k) => [k, 1])),
    });
    try {
      const listening = sim.groundTruth.nodes.filter(
        (n) => n.network === 'ipv4' && n.kind !== 'blackhole' && n.kind !== 'dead',
      );
      expect(new Set(listening.map((n) => n.kind)).has('silent')).toBe(true);
      // Each gets a version, then our close 200 ms later (before any slow node is done); what
      // the hostile kinds send back is not read.
      const visit = (n: { host: string; port: number }) =>
        new Promise<void>((resolve) => {
          const s = net.connect(n, () => s.write(encodeMessageFrame(magic, version)));
          s.on('error', () => {});
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 200);
        });
      await Promise.all(listening.map(visit));
      // Polled, not timed: the test's own time limit bounds the wait.
      while (sim.openConnections() > 0) await new Promise((r) => setTimeout(r, 50));
      expect(sim.openConnections()).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  it('starts and stops 2,000 nodes cleanly', async () => {
    // How fast is not asserted (the machine's speed; the package's time limit scales with it).
    const sim = await startSimnet({ seed: 2, nodes: 2000, kinds: { core: 1 } });
    await sim.stop();
    // every listener is closed: connecting now is refused
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(sim.groundTruth.nodes[5]!);
      s.on('connect', () => resolve(false));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});

describe('DEMO_SPEC (bitcrawl simnet without a spec)', () => {
  it('has every node kind and nodes of every network, so a demo crawl meets every outcome', () => {
    for (const k of NODE_KINDS) expect(DEMO_SPEC.kinds[k], k).toBeGreaterThan(0);
    const plan = generate(simnetSpecSchema.parse({ ...DEMO_SPEC, nodes: 300 }));
    const networks = new Set(plan.truth.nodes.map((n) => n.network));
    expect([...networks].sort()).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
    const kinds = new Set<string>(plan.truth.nodes.map((n) => n.kind));
    for (const k of NODE_KINDS) expect(kinds.has(k), k).toBe(true);
  });

  it('is not applied to a spec: what a spec does not ask for does not appear', () => {
    const plan = generate(simnetSpecSchema.parse({ nodes: 50 }));
    expect(new Set(plan.truth.nodes.map((n) => n.network))).toEqual(new Set(['ipv4']));
  });
});
