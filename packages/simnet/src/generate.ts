import type { Network, Outcome } from '@bitcrawl/model';
import { type AddrEntry, addressFromBytes, formatEndpoint } from '@bitcrawl/protocol';
import type { GroundTruth, TruthNode } from './ground-truth.ts';
import { Rng } from './rng.ts';
import { EXPECTED_OUTCOME, NODE_KINDS, type NodeKind, type SimnetSpec } from './spec.ts';

/** Everything needed to run one simulated node, plus what the ground truth says about it. */
export interface NodePlan {
  truth: TruthNode;
  /** Where its socket listens: the advertised endpoint, or an internal loopback one for overlays. */
  listen?: { host: string; port: number };
  latencyMs: number;
  clockSkewS: number;
  selfAnnounce: boolean;
  /** The full answer as AddrEntry (bigint services), before v1 filtering. */
  answer: AddrEntry[];
}

export interface Plan {
  nodes: NodePlan[];
  truth: GroundTruth;
}

const CORE_AGENTS = [
  '/Satoshi:31.0.0/',
  '/Satoshi:30.2.0/',
  '/Satoshi:29.1.0/',
  '/Satoshi:28.1.0/',
  '/Satoshi:27.2.0/',
];
const CORE_SERVICES = [0xc09n, 0x409n, 0xc49n, 0x449n, 0x809n];
const LEGACY_AGENTS = ['/Satoshi:0.16.3/', '/Satoshi:0.18.1/', '/Satoshi:0.20.1/'];
const ADDR_SERVICES = [0x1n, 0x9n, 0x409n, 0xc09n, 0x449n];

/** 127.a.b.c for index i of a region, never .0 or .255 in the last two octets. */
export function loopbackV4(region: number, i: number): string {
  const c = (i % 254) + 1;
  const b = (Math.floor(i / 254) % 254) + 1;
  const a = region + Math.floor(i / (254 * 254));
  return `127.${a}.${b}.${c}`;
}

const REGION = { node: 1, dead: 100, blackhole: 200, overlay: 220 } as const;

function chooseKind(rng: Rng, kinds: SimnetSpec['kinds']): NodeKind {
  const entries = NODE_KINDS.map((k) => [k, kinds[k] ?? 0] as const).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]?.[0] ?? 'core';
}

export function generate(spec: SimnetSpec): Plan {
  const rng = new Rng(spec.seed);
  const nodes: NodePlan[] = [];
  const add = (
    network: Network,
    host: string,
    port: number,
    kind: NodeKind | 'dead',
    expected: Outcome,
    listen?: NodePlan['listen'],
  ) => {
    const plan: NodePlan = {
      truth: {
        endpoint: formatEndpoint({ network, host, port }),
        network,
        host,
        port,
        kind,
        expectedOutcome: expected,
        answer: [],
      },
      latencyMs: rng.int(spec.latencyMs.min, spec.latencyMs.max),
      clockSkewS: rng.int(-5, 5),
      selfAnnounce: rng.next() < spec.selfAnnounce,
      answer: [],
    };
    if (listen) plan.listen = listen;
    nodes.push(plan);
    return plan;
  };

  // Listening IPv4 nodes; the first one is always Core-like so there is a seed.
  for (let i = 0; i < spec.nodes; i++) {
    const kind = i === 0 ? 'core' : chooseKind(rng, spec.kinds);
    const host = kind === 'blackhole' ? loopbackV4(REGION.blackhole, i) : loopbackV4(REGION.node, i);
    add('ipv4', host, spec.port, kind, EXPECTED_OUTCOME[kind], { host, port: spec.port });
  }
  for (let j = 0; j < spec.ipv6; j++) {
    add('ipv6', '::1', spec.ipv6BasePort + j, 'core', 'ok', { host: '::1', port: spec.ipv6BasePort + j });
  }
  let internal = 0;
  const overlay = (network: 'onion' | 'i2p' | 'cjdns') => {
    const raw = rng.bytes(network === 'cjdns' ? 16 : 32);
    if (network === 'cjdns') raw[0] = 0xfc;
    return addressFromBytes(network, raw);
  };
  for (const network of ['onion', 'i2p', 'cjdns'] as const) {
    for (let j = 0; j < spec[network]; j++) {
      const listen = { host: loopbackV4(REGION.overlay, internal++), port: spec.port };
      add(network, overlay(network), network === 'i2p' ? 0 : spec.port, 'core', 'ok', listen);
    }
  }
  // Advertised addresses with nothing behind them.
  const listening = nodes.length;
  const dead = Math.round(
    (listening * spec.unreachableFraction) / Math.max(1e-9, 1 - spec.unreachableFraction),
  );
  const share = (n: number) => Math.round((dead * n) / listening);
  const deadV6 = share(spec.ipv6);
  const deadOverlay = { onion: share(spec.onion), i2p: share(spec.i2p), cjdns: share(spec.cjdns) };
  const deadV4 = Math.max(0, dead - deadV6 - deadOverlay.onion - deadOverlay.i2p - deadOverlay.cjdns);
  for (let i = 0; i < deadV4; i++) add('ipv4', loopbackV4(REGION.dead, i), spec.port, 'dead', 'refused');
  for (let j = 0; j < deadV6; j++) add('ipv6', '::1', spec.ipv6BasePort + 5_000 + j, 'dead', 'refused');
  for (const network of ['onion', 'i2p', 'cjdns'] as const) {
    for (let j = 0; j < deadOverlay[network]; j++) {
      add(network, overlay(network), network === 'i2p' ? 0 : spec.port, 'dead', 'unreachable');
    }
  }

  assignVersions(nodes, rng);
  buildAnswers(nodes, spec, rng);
  const seeds = nodes.filter((n) => n.truth.kind === 'core' && n.truth.network === 'ipv4').slice(0, 3);
  return {
    nodes,
    truth: {
      chain: spec.chain,
      seed: spec.seed,
      seeds: seeds.map((n) => n.truth.endpoint),
      nodes: nodes.map((n) => n.truth),
      edgeCount: nodes.reduce((s, n) => s + n.truth.answer.length, 0),
    },
  };
}

function assignVersions(nodes: NodePlan[], rng: Rng): void {
  for (const n of nodes) {
    const k = n.truth.kind;
    if (
      k === 'dead' ||
      k === 'blackhole' ||
      k === 'silent' ||
      k === 'wrong_magic' ||
      k === 'oversized' ||
      k === 'bad_checksum' ||
      k === 'garbage'
    )
      continue;
    const legacy = k === 'legacy';
    n.truth.version = {
      protocolVersion: legacy ? 70015 : 70016,
      services: String(legacy ? 0x40dn : rng.pick(CORE_SERVICES)),
      userAgent: legacy ? rng.pick(LEGACY_AGENTS) : rng.pick(CORE_AGENTS),
      startHeight: rng.int(880_000, 925_000),
      relay: rng.next() < 0.9,
    };
  }
}

const answers = (k: TruthNode['kind']) => k === 'core' || k === 'legacy';
const carries = (from: NodePlan, to: NodePlan) =>
  from.truth.kind !== 'legacy' || to.truth.network === 'ipv4' || to.truth.network === 'ipv6';

/**
 * Gossip graph: first a spanning tree, so that a crawl from the seeds reaches every address
 * (each address is put in the answer of a node already reached), then random extra edges up
 * to each node's answer size (23% of a table drawn from spec.table, at most 1000).
 */
function buildAnswers(nodes: NodePlan[], spec: SimnetSpec, rng: Rng): void {
  const target = new Map<NodePlan, number>();
  for (const n of nodes) {
    if (!answers(n.truth.kind)) continue;
    const table = rng.int(spec.table.min, spec.table.max);
    const min = n.truth.kind === 'legacy' ? 34 : 12; // parts must be recognisable as an answer (> 10 entries)
    target.set(n, Math.min(1000, Math.max(min, Math.floor(table * 0.23))));
  }
  const sets = new Map<NodePlan, Set<NodePlan>>([...target.keys()].map((n) => [n, new Set()]));
  const first = nodes[0] as NodePlan;
  // Reached answering nodes; overlay addresses only travel in addrv2, so only Core-like nodes carry them.
  const reachedAny: NodePlan[] = [first];
  const reachedCore: NodePlan[] = [first];
  for (const n of rng.shuffle(nodes.slice(1))) {
    const from = rng.pick(
      n.truth.network === 'ipv4' || n.truth.network === 'ipv6' ? reachedAny : reachedCore,
    );
    sets.get(from)?.add(n);
    if (answers(n.truth.kind)) reachedAny.push(n);
    if (n.truth.kind === 'core') reachedCore.push(n);
  }
  for (const [n, size] of target) {
    const set = sets.get(n) as Set<NodePlan>;
    for (let tries = 0; set.size < size && tries < size * 4; tries++) {
      const other = nodes[rng.int(0, nodes.length - 1)] as NodePlan;
      if (other !== n && carries(n, other)) set.add(other);
    }
    // Core sends nothing when it knows fewer than 5 addresses; the tree edges then stay unused.
    if (set.size < 5) set.clear();
    n.answer = [...set].map((o) => ({
      time: 1_700_000_000 + rng.int(0, 10_000_000),
      services: rng.pick(ADDR_SERVICES),
      network: o.truth.network,
      host: o.truth.host,
      port: o.truth.port,
    }));
    n.truth.answer = n.answer.map((a) => ({
      network: a.network,
      host: a.host,
      port: a.port,
      services: String(a.services),
      time: a.time,
    }));
  }
}
