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

  assignVersions(nodes, spec, rng);
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

function assignVersions(nodes: NodePlan[], spec: SimnetSpec, rng: Rng): void {
  const agents = weighted(spec.versions.agents);
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
      services: String(legacy ? 0x40dn : BigInt(rng.pick(spec.versions.services))),
      userAgent: legacy ? rng.pick(LEGACY_AGENTS) : agents(rng),
      startHeight: rng.int(spec.versions.startHeight.min, spec.versions.startHeight.max),
      relay: rng.next() < spec.versions.relay,
    };
  }
}

/** A picker over { value: weight }. */
function weighted(weights: Record<string, number>): (rng: Rng) => string {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return (rng) => {
    let x = rng.next() * total;
    for (const [v, w] of entries) {
      x -= w;
      if (x < 0) return v;
    }
    return entries[entries.length - 1]?.[0] as string;
  };
}

const answers = (k: TruthNode['kind']) => k === 'core' || k === 'legacy';
const carries = (from: NodePlan, to: NodePlan) =>
  from.truth.kind !== 'legacy' || to.truth.network === 'ipv4' || to.truth.network === 'ipv6';

/** Core's getaddr answer size: 23% of the address table, rounded down, at most 1000. */
export function coreAnswerSize(table: number): number {
  return Math.min(1000, Math.floor((table * 23) / 100));
}
/** A legacy answer comes in 3 parts, each must exceed a relay's 10 entries to be told apart. */
const LEGACY_MIN_TABLE = 144;

/**
 * Gossip graph. Each answering node draws a table size and answers exactly Core's share of
 * it (so a node that knows fewer than 5 addresses answers nothing). A spanning tree comes
 * first, so that a crawl from the seeds reaches every address: each address is put in the
 * answer of an already-reached node that still has room. Random extra edges fill the rest.
 */
function buildAnswers(nodes: NodePlan[], spec: SimnetSpec, rng: Rng): void {
  const size = new Map<NodePlan, number>();
  for (const n of nodes) {
    if (!answers(n.truth.kind)) continue;
    const min = n.truth.kind === 'legacy' ? Math.max(spec.table.min, LEGACY_MIN_TABLE) : spec.table.min;
    // The first node is the crawl's seed: it knows the most, so the crawl can start.
    const table =
      n === nodes[0] ? Math.max(min, spec.table.max) : rng.int(min, Math.max(min, spec.table.max));
    size.set(n, coreAnswerSize(table));
  }
  const sets = new Map<NodePlan, Set<NodePlan>>([...size.keys()].map((n) => [n, new Set()]));
  const first = nodes[0] as NodePlan;
  // Reached answering nodes with room left; overlay addresses only travel in addrv2, so only
  // Core-like nodes carry them.
  const open = { any: [] as NodePlan[], core: [] as NodePlan[] };
  const reach = (n: NodePlan) => {
    if ((size.get(n) ?? 0) === 0) return;
    open.any.push(n);
    if (n.truth.kind === 'core') open.core.push(n);
  };
  reach(first);
  const pickOpen = (list: NodePlan[]): NodePlan | undefined => {
    while (list.length > 0) {
      const i = rng.int(0, list.length - 1);
      const from = list[i] as NodePlan;
      if ((sets.get(from)?.size ?? 0) < (size.get(from) ?? 0)) return from;
      list[i] = list[list.length - 1] as NodePlan; // full: drop it
      list.pop();
    }
    return undefined;
  };
  for (const n of rng.shuffle(nodes.slice(1))) {
    const v1 = n.truth.network === 'ipv4' || n.truth.network === 'ipv6';
    const from = pickOpen(v1 ? open.any : open.core);
    if (!from)
      throw new Error('simnet spec: address tables too small to gossip every address; raise table.min');
    sets.get(from)?.add(n);
    reach(n);
  }
  for (const [n, want] of size) {
    const set = sets.get(n) as Set<NodePlan>;
    for (let tries = 0; set.size < want && tries < want * 4; tries++) {
      const other = nodes[rng.int(0, nodes.length - 1)] as NodePlan;
      if (other !== n && carries(n, other)) set.add(other);
    }
    n.answer = [...set].map((o) => ({
      time:
        spec.recentAddrTimesAt === undefined
          ? 1_700_000_000 + rng.int(0, 10_000_000)
          : // Half seen 0-12 h, half 36-48 h before then: either side of a 24 h cut, whatever the crawl's delay.
            spec.recentAddrTimesAt - (rng.int(0, 1) === 0 ? rng.int(0, 43_200) : rng.int(129_600, 172_800)),
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
