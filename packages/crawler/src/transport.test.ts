import type { Observation } from '@bitcrawl/model';
import { CHAINS, packedCount, unpackAddrs } from '@bitcrawl/protocol';
import { type Simnet, startSimnet, type TruthNode } from '@bitcrawl/simnet';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlerConfigSchema, type TransportMode } from './config.ts';
import { runSession, type TransportPlan } from './session.ts';
import { TransportMemory } from './transport-memory.ts';
import { createVisitor, planTransport } from './visitor.ts';

/*
 * Sessions over BIP324 v2 against simnet nodes that speak v2 (and v1 inbound, as Core), v1-only
 * nodes, and v1 nodes that advertise NODE_P2P_V2 but reset on a v2 key.
 */

let sim: Simnet;
// Loopback timers, scaled to the machine's speed: fixed, a busy event loop (v2's key work
// included) misses them and a visit ends before its expected outcome.
const fast = {
  connectMs: budget(1000),
  handshakeMs: budget(4000),
  getaddrMs: budget(4000),
  idleAfterAnswerMs: budget(400),
  tentativeIdleMs: budget(400),
  sessionMs: budget(12_000),
};
// A port of its own (below the ephemeral range): other simnets may run on 127.1.x.y:8333 meanwhile.
const port = 11_000 + Math.floor(Math.random() * 8_000);

beforeAll(async () => {
  sim = await startSimnet({
    seed: 11,
    nodes: 40,
    kinds: { core: 1, wrong_magic: 0.1, bad_checksum: 0.1, silent: 0.1 },
    transports: { v2: 2, v1: 1, v1_claims_v2: 1 },
    ipv6: 2,
    onion: 2,
    latencyMs: { min: 0, max: 10 },
    port,
    ipv6BasePort: port + 10_000,
  });
}, budget(60_000));
afterAll(() => sim?.stop());

const advertises = (n: TruthNode) => (BigInt(n.version?.services ?? 0) & 0x800n) !== 0n;
/** Nodes dialed directly (IPv4, IPv6) that answer the handshake. */
const nodesOf = (pick: (n: TruthNode) => boolean) =>
  sim.groundTruth.nodes.filter(
    (n) => n.expectedOutcome === 'ok' && (n.network === 'ipv4' || n.network === 'ipv6') && pick(n),
  );
const v2Nodes = () => nodesOf((n) => n.transport === 'v2');
const v1Only = () => nodesOf((n) => n.transport === 'v1' && !advertises(n));
const v1Claims = () => nodesOf((n) => n.transport === 'v1' && advertises(n));

async function session(n: TruthNode, transport: TransportPlan): Promise<Observation> {
  return runSession({
    crawlId: 't',
    target: n,
    route: { kind: 'direct' },
    magic: CHAINS.mainnet.magic,
    userAgent: '/bitcrawl:test/',
    timeouts: fast,
    maxAddr: 5000,
    maxMessages: 5000,
    now: Date.now,
    transport,
  });
}

/** What a visit learned, without the parts that differ per connection. */
const answerOf = (o: Observation) => ({
  outcome: o.outcome,
  peer: { ...o.peer, clockOffsetS: 0 },
  addrs: unpackAddrs(o.addrs)
    .map((a) => `${a.network}|${a.host}|${a.port}|${a.services}|${a.time}`)
    .sort(),
});

describe('v2 sessions against the simnet', { timeout: budget(120_000) }, () => {
  it('the simnet has nodes of each transport', () => {
    expect(v2Nodes().filter((n) => n.network === 'ipv4').length).toBeGreaterThan(3);
    expect(v1Only().length).toBeGreaterThan(2);
    expect(v1Claims().length).toBeGreaterThan(2);
    for (const n of v2Nodes()) expect(advertises(n)).toBe(true);
  });

  it('v2 nodes: a v2 session, with a session id, and the same answer as over v1', async () => {
    for (const n of v2Nodes()) {
      const [v2, v1] = await Promise.all([session(n, 'v2-then-v1'), session(n, 'v1')]);
      expect(v2.outcome, `${n.endpoint}: ${v2.error}`).toBe('ok');
      expect(v2).toMatchObject({ transport: 'v2', v2Fallback: false });
      expect(v2.v2SessionId).toMatch(/^[0-9a-f]{16}$/);
      expect(v1).toMatchObject({ transport: 'v1', v2Fallback: false, v2SessionId: '' });
      expect(answerOf(v2)).toEqual(answerOf(v1));
      expect(packedCount(v2.addrs)).toBe(n.answer.length);
    }
  });

  it('v1 nodes advertising v2 reset on our key: the v1 fallback, recorded, gives the v1 answer', async () => {
    for (const n of v1Claims()) {
      const [fb, v1] = await Promise.all([session(n, 'v2-then-v1'), session(n, 'v1')]);
      expect(fb.outcome, `${n.endpoint}: ${fb.error}`).toBe('ok');
      expect(fb).toMatchObject({ transport: 'v1', v2Fallback: true, v2SessionId: '' });
      expect(answerOf(fb)).toEqual(answerOf(v1));
    }
  });

  it('v1-only nodes close on our key: the fallback too; v2-only records the refusal as closed', async () => {
    for (const n of v1Only()) {
      const fb = await session(n, 'v2-then-v1');
      expect(fb).toMatchObject({ outcome: 'ok', transport: 'v1', v2Fallback: true });
      const only = await session(n, 'v2');
      expect(only).toMatchObject({ outcome: 'closed', transport: 'v2', v2Fallback: false, peer: null });
    }
  });

  it('a v1 node that answers our key in v1 gets the fallback; a silent one just times out', async () => {
    const kind = (k: string) => sim.groundTruth.nodes.filter((n) => n.kind === k);
    expect(kind('wrong_magic').length + kind('bad_checksum').length).toBeGreaterThan(0);
    expect(kind('silent').length).toBeGreaterThan(0);
    for (const n of [...kind('wrong_magic'), ...kind('bad_checksum')]) {
      const o = await session(n, 'v2-then-v1');
      expect(o).toMatchObject({ outcome: n.expectedOutcome, transport: 'v1', v2Fallback: true });
    }
    const quiet = { ...fast, handshakeMs: 300 };
    const n = kind('silent')[0] as TruthNode;
    const o = await runSession({
      crawlId: 't',
      target: n,
      route: { kind: 'direct' },
      magic: CHAINS.mainnet.magic,
      userAgent: '/bitcrawl:test/',
      timeouts: quiet,
      maxAddr: 5000,
      maxMessages: 5000,
      now: Date.now,
      transport: 'v2-then-v1',
    });
    // Core retries in v1 only when the peer hung up: a silent peer is not tried twice.
    expect(o).toMatchObject({ outcome: 'handshake_timeout', transport: 'v2', v2Fallback: false });
    expect(o.v2SessionId).toBe('');
  });

  it('over the SOCKS5 front door (onion) too', async () => {
    const onion = sim.groundTruth.nodes.filter((n) => n.network === 'onion' && n.expectedOutcome === 'ok');
    expect(onion.length).toBeGreaterThan(0);
    const v = createVisitor(
      crawlerConfigSchema.parse({
        allowPrivate: true,
        proxies: { onion: sim.socksProxy },
        timeouts: fast,
        networkTimeouts: { onion: fast },
      }),
    );
    for (const n of onion) {
      const o = await v.visit(n, { crawlId: 't' });
      expect(o.outcome, o.error).toBe('ok');
      expect(o.transport).toBe(n.transport);
      expect(o.v2Fallback).toBe(n.transport === 'v1');
    }
  });
});

describe('the visitor plans the transport', () => {
  it.each<[TransportMode, bigint | undefined, 'v1' | 'v2' | undefined, TransportPlan]>([
    ['v2-first', 0xc09n, undefined, 'v2-then-v1'],
    ['v2-first', 0x409n, undefined, 'v1'],
    ['v2-first', undefined, undefined, 'v2-then-v1'],
    ['v2-first', 0xc09n, 'v1', 'v1'],
    ['v2-first', 0x409n, 'v2', 'v2-then-v1'],
    ['v1', 0xc09n, 'v2', 'v1'],
    ['v2-only', 0x409n, 'v1', 'v2'],
  ])('%s, services %s, remembered %s: %s', (mode, services, remembered, plan) => {
    expect(planTransport(mode, services, remembered)).toBe(plan);
  });

  it(
    'learns from each visit: v2 spoken, a fallback, or the version services when nothing was tried',
    {
      timeout: 60_000,
    },
    async () => {
      const v = createVisitor(crawlerConfigSchema.parse({ allowPrivate: true, timeouts: fast }));
      const claim = v1Claims()[0] as TruthNode;
      const target = { network: claim.network, host: claim.host, port: claim.port, services: 0xc09n };
      const first = await v.visit(target, { crawlId: 't' });
      expect(first).toMatchObject({ outcome: 'ok', transport: 'v1', v2Fallback: true });
      // Remembered: the next visit goes straight to v1, gossip notwithstanding.
      const second = await v.visit(target, { crawlId: 't' });
      expect(second).toMatchObject({ outcome: 'ok', transport: 'v1', v2Fallback: false });

      const m = new TransportMemory(2);
      const ok = { ...first, v2Fallback: false, transport: 'v2' as const };
      m.learn({ network: 'ipv4', host: 'a', port: 1 }, ok);
      m.learn({ network: 'ipv4', host: 'b', port: 1 }, first);
      m.learn({ network: 'ipv4', host: 'c', port: 1 }, ok);
      expect(m.count).toBe(2); // bounded: the oldest went
      expect(m.get({ network: 'ipv4', host: 'a', port: 1 })).toBeUndefined();
      expect(m.get({ network: 'ipv4', host: 'b', port: 1 })).toBe('v1');
      expect(m.get({ network: 'ipv4', host: 'c', port: 1 })).toBe('v2');
    },
  );
});
