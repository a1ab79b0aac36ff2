import { observationSchema } from '@bitcrawl/model';
import { unpackAddrs } from '@bitcrawl/protocol';
import { type GroundTruth, type Simnet, startSimnet, type TruthNode } from '@bitcrawl/simnet';
import { budget, startMicrosocks } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crawlerConfigSchema } from './config.ts';
import { createVisitor } from './visitor.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(60_000) });

let sim: Simnet;
let truth: GroundTruth;
// Loopback timers, scaled to the machine's speed: fixed, a busy event loop misses them and a
// visit ends before its expected outcome.
const fast = {
  connectMs: budget(1000),
  handshakeMs: budget(2500),
  getaddrMs: budget(3000),
  idleAfterAnswerMs: budget(400),
  sessionMs: budget(10_000),
};

beforeAll(async () => {
  sim = await startSimnet({
    seed: 7,
    nodes: 60,
    kinds: {
      core: 4,
      legacy: 2,
      silent: 1,
      slowloris: 1,
      garbage: 1,
      bad_checksum: 1,
      wrong_magic: 1,
      oversized: 1,
      reset_after_version: 1,
      addr_flood: 1,
      blackhole: 1,
    },
    ipv6: 2,
    onion: 3,
    i2p: 3,
    cjdns: 2,
    latencyMs: { min: 0, max: 20 },
  });
  truth = sim.groundTruth;
});
afterAll(() => sim?.stop());

const visitor = () =>
  createVisitor(
    crawlerConfigSchema.parse({
      allowPrivate: true,
      cjdnsRoute: true,
      proxies: { onion: sim.socksProxy, i2p: sim.socksProxy, cjdns: sim.socksProxy },
      timeouts: fast,
      networkTimeouts: {},
    }),
  );

const key = (a: { network: string; host: string; port: number; services: bigint | string }) =>
  `${a.network}|${a.host}|${a.port}|${a.services}`;

function checkAgainstTruth(n: TruthNode, o: Awaited<ReturnType<ReturnType<typeof createVisitor>['visit']>>) {
  expect(o.outcome, `${n.kind} ${n.endpoint}: ${o.error}`).toBe(n.expectedOutcome);
  if (n.expectedOutcome !== 'ok') return;
  expect(o.peer).toMatchObject({
    protocolVersion: n.version?.protocolVersion,
    services: BigInt(n.version?.services ?? -1),
    userAgent: n.version?.userAgent,
    startHeight: n.version?.startHeight,
    relay: n.version?.relay,
  });
  expect(Math.abs(o.peer?.clockOffsetS ?? 99)).toBeLessThanOrEqual(6);
  expect(
    unpackAddrs(o.addrs)
      .map((a) => [key(a), a.time])
      .sort(),
  ).toEqual(n.answer.map((a) => [key(a), a.time]).sort());
}

describe('visits against every simnet node kind', () => {
  it('each node yields its own outcome class; ok visits carry the exact version and answer', async () => {
    const v = visitor();
    const results = await Promise.all(
      truth.nodes.map(async (n) => [n, await v.visit(n, { crawlId: 't' })] as const),
    );
    const kinds = new Set(results.map(([n]) => n.kind));
    expect(kinds.size).toBe(12); // every kind plus dead addresses
    for (const [n, o] of results) checkAgainstTruth(n, o);
    const outcomes = new Set(results.map(([, o]) => o.outcome));
    expect([...outcomes].sort()).toEqual(
      [
        'bad_checksum',
        'bad_magic',
        'closed',
        'connect_timeout',
        'handshake_timeout',
        'malformed',
        'ok',
        'oversized',
        'refused',
        'unreachable',
      ].sort(),
    );
  });

  it('an Observation carries only its declared fields, whatever else the target object holds', async () => {
    const declared = Object.keys(observationSchema.shape).sort();
    // A crawl job's shape: the endpoint plus the job's own fields (source, services, crawlId).
    const asJob = (n: TruthNode) => ({ ...n, source: 'seed', crawlId: 'job-round', extra: { nested: 1 } });
    const ok = truth.nodes.find((n) => n.kind === 'core' && n.network === 'ipv4')!;
    const refused = truth.nodes.find((n) => n.expectedOutcome === 'refused')!;
    const seen = [
      await visitor().visit(asJob(ok), { crawlId: 't' }),
      await visitor().visit(asJob(refused), { crawlId: 't' }),
      // Not dialable (private addresses without ALLOW_PRIVATE): built without a session.
      await createVisitor(crawlerConfigSchema.parse({ timeouts: fast, networkTimeouts: {} })).visit(
        asJob(ok),
        {
          crawlId: 't',
        },
      ),
    ];
    expect(seen.map((o) => o.outcome)).toEqual(['ok', 'refused', 'not_dialable']);
    for (const o of seen) {
      expect(Object.keys(o).sort()).toEqual(declared);
      expect(o.crawlId).toBe('t');
    }
  });

  it('reaches .onion and .b32.i2p names through the front door; unknown names are unreachable', async () => {
    const v = visitor();
    for (const network of ['onion', 'i2p', 'cjdns'] as const) {
      const live = truth.nodes.find((n) => n.network === network && n.kind === 'core')!;
      checkAgainstTruth(live, await v.visit(live, { crawlId: 't' }));
    }
    const dead = truth.nodes.find((n) => n.network === 'onion' && n.kind === 'dead')!;
    expect((await v.visit(dead, { crawlId: 't' })).outcome).toBe('unreachable');
  });

  it('goes through a real SOCKS5 server (microsocks) to simnet nodes', async () => {
    const socks = await startMicrosocks();
    try {
      const v = createVisitor(
        crawlerConfigSchema.parse({
          allowPrivate: true,
          proxy: socks.url,
          timeouts: fast,
          networkTimeouts: {},
        }),
      );
      const core = truth.nodes.find((n) => n.kind === 'core' && n.network === 'ipv4')!;
      checkAgainstTruth(core, await v.visit(core, { crawlId: 't' }));
      const dead = truth.nodes.find((n) => n.kind === 'dead' && n.network === 'ipv4')!;
      expect((await v.visit(dead, { crawlId: 't' })).outcome).toBe('refused');
    } finally {
      await socks.stop();
    }
  });

  it('an invalid host is a not_dialable Observation, never a throw', async () => {
    const v = visitor();
    for (const t of [
      { network: 'ipv4', host: 'localhost', port: 8333 },
      { network: 'cjdns', host: '127.0.0.1', port: 8333 },
      { network: 'onion', host: '10.0.0.1', port: 8333 },
    ] as const) {
      const o = await v.visit(t, { crawlId: 't' });
      expect(o).toMatchObject({ ...t, outcome: 'not_dialable', error: expect.stringMatching(/invalid/) });
    }
  });

  it('an IPv4-mapped IPv6 target is dialed as IPv4 and recorded as requested', async () => {
    const core = truth.nodes.find((n) => n.kind === 'core' && n.network === 'ipv4')!;
    const mapped = { network: 'ipv6' as const, host: `::ffff:${core.host}`, port: core.port };
    const o = await visitor().visit(mapped, { crawlId: 't' });
    expect(o).toMatchObject({ ...mapped, outcome: 'ok' });
    expect(unpackAddrs(o.addrs)).toHaveLength(core.answer.length);
    const strict = createVisitor(crawlerConfigSchema.parse({ timeouts: fast }));
    expect((await strict.visit(mapped, { crawlId: 't' })).outcome).toBe('not_dialable');
  });

  it('an unreachable proxy makes the visit throw (retried later), recording nothing about the peer', async () => {
    const v = createVisitor(
      crawlerConfigSchema.parse({
        allowPrivate: true,
        proxy: 'socks5://127.0.0.1:1',
        timeouts: fast,
        networkTimeouts: {},
      }),
    );
    const core = truth.nodes.find((n) => n.kind === 'core' && n.network === 'ipv4')!;
    await expect(v.visit(core, { crawlId: 't' })).rejects.toMatchObject({
      name: 'DialInfrastructureError',
      code: 'PROXY_UNREACHABLE',
    });
  });
});
