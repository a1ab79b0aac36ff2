import type { Network, Outcome } from '@bitcrawl/model';
import { type AddrEntry, addressFromBytes, formatEndpoint } from '@bitcrawl/protocol';
import type { GroundTruth, TruthNode } from './ground-truth.ts';
import { NO_ANSWER, withLazyAnswer } from './lazy-answer.ts';
import { Rng } from './rng.ts';
import {
  EXPECTED_OUTCOME,
  NODE_KINDS,
  type NodeKind,
  type SimnetSpec,
  TRANSPORT_KINDS,
  type TransportKind,
} from './spec.ts';

/** Everything needed to run one simulated node, plus what the ground truth says about it. */
export interface NodePlan {
  truth: TruthNode;
  /** Where its socket listens: the advertised endpoint, or an internal loopback one for overlays. */
  listen?: { host: string; port: number };
  latencyMs: number;
  clockSkewS: number;
  selfAnnounce: boolean;
  /**
   * The full answer as AddrEntry (bigint services), before v1 filtering: built on each read
   * from answerTo, so that 15 million edges do not live as objects.
   */
  readonly answer: AddrEntry[];
  /** The answer as indices into Plan.nodes; each entry's time and services derive from the pair. */
  answerTo: Uint32Array;
}

export interface Plan {
  nodes: NodePlan[];
  truth: GroundTruth;
}

const LEGACY_AGENTS = ['/Satoshi:0.16.3/', '/Satoshi:0.18.1/', '/Satoshi:0.20.1/'];

/** 127.a.b.c for index i of a region, never .0 or .255 in the last two octets. */
export function loopbackV4(region: number, i: number): string {
  const c = (i % 254) + 1;
  const b = (Math.floor(i / 254) % 254) + 1;
  const a = region + Math.floor(i / (254 * 254));
  return `127.${a}.${b}.${c}`;
}

// dropped: DROPPED_RANGE (127.150.0.0/16) in spec.ts.
const REGION = { node: 1, dead: 100, dropped: 150, blackhole: 200, overlay: 220 } as const;

/** The IPv4 nodes' kinds in order: exact counts shuffled (a Core node first, the seed), or drawn by weight. */
function ipv4Kinds(spec: SimnetSpec, rng: Rng): NodeKind[] {
  if (!spec.counts) {
    return Array.from({ length: spec.nodes }, (_, i) => (i === 0 ? 'core' : chooseKind(rng, spec.kinds)));
  }
  const counts = spec.counts;
  const all = rng.shuffle(NODE_KINDS.flatMap((k) => Array<NodeKind>(counts[k] ?? 0).fill(k)));
  const core = all.indexOf('core');
  [all[0], all[core]] = [all[core] as NodeKind, all[0] as NodeKind];
  return all;
}

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
    kind: NodeKind | 'dead' | 'dropped',
    expected: Outcome,
    listen?: NodePlan['listen'],
  ) => {
    const plan = withLazyAnswer(nodes, spec, {
      truth: {
        endpoint: formatEndpoint({ network, host, port }),
        network,
        host,
        port,
        kind,
        expectedOutcome: expected,
        answerCount: 0,
      },
      latencyMs: rng.int(spec.latencyMs.min, spec.latencyMs.max),
      clockSkewS: rng.int(-5, 5),
      selfAnnounce: rng.next() < spec.selfAnnounce,
      answerTo: NO_ANSWER,
    });
    if (listen) plan.listen = listen;
    nodes.push(plan);
    return plan;
  };

  // Listening IPv4 nodes; the first one is always Core-like so there is a seed.
  const kinds = ipv4Kinds(spec, rng);
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i] as NodeKind;
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
  const dead =
    spec.dead ??
    Math.round((listening * spec.unreachableFraction) / Math.max(1e-9, 1 - spec.unreachableFraction));
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
  for (let i = 0; i < spec.dropped; i++) {
    add('ipv4', loopbackV4(REGION.dropped, i), spec.port, 'dropped', 'connect_timeout');
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
      edgeCount: nodes.reduce((s, n) => s + n.answerTo.length, 0),
      edges: spec.truthEdges,
    },
  };
}

const P2P_V2 = 0x800n;

function assignVersions(nodes: NodePlan[], spec: SimnetSpec, rng: Rng): void {
  const agents = weighted(spec.versions.agents);
  const transports = weighted(
    Object.fromEntries(TRANSPORT_KINDS.map((k) => [k, spec.transports[k] ?? 0])),
  ) as (rng: Rng) => TransportKind;
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
    const services = legacy ? 0x40dn : BigInt(rng.pick(spec.versions.services));
    // Only Core-like nodes may speak v2; the service bit follows what the node claims.
    const transport: TransportKind = k === 'core' ? transports(rng) : 'v1';
    n.truth.transport = transport === 'v2' ? 'v2' : 'v1';
    n.truth.version = {
      protocolVersion: legacy ? 70015 : 70016,
      services: String(transport === 'v1' ? services & ~P2P_V2 : services | P2P_V2),
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
 * Answers are kept as node indices (4 bytes an edge): 15,000 nodes answer 15 million edges.
 */
function buildAnswers(nodes: NodePlan[], spec: SimnetSpec, rng: Rng): void {
  const size = new Int32Array(nodes.length);
  nodes.forEach((n, i) => {
    if (!answers(n.truth.kind)) return;
    const min = n.truth.kind === 'legacy' ? Math.max(spec.table.min, LEGACY_MIN_TABLE) : spec.table.min;
    // The first node is the crawl's seed: it knows the most, so the crawl can start.
    const table = i === 0 ? Math.max(min, spec.table.max) : rng.int(min, Math.max(min, spec.table.max));
    size[i] = coreAnswerSize(table);
  });
  const tree: number[][] = nodes.map(() => []);
  // Reached answering nodes with room left; overlay addresses only travel in addrv2, so only
  // Core-like nodes carry them.
  const open = { any: [] as number[], core: [] as number[] };
  const reach = (i: number) => {
    if ((size[i] ?? 0) === 0) return;
    open.any.push(i);
    if (nodes[i]?.truth.kind === 'core') open.core.push(i);
  };
  reach(0);
  const pickOpen = (list: number[]): number | undefined => {
    while (list.length > 0) {
      const k = rng.int(0, list.length - 1);
      const from = list[k] as number;
      if ((tree[from] as number[]).length < (size[from] as number)) return from;
      list[k] = list[list.length - 1] as number; // full: drop it
      list.pop();
    }
    return undefined;
  };
  const order = rng.shuffle(Array.from({ length: nodes.length - 1 }, (_, i) => i + 1));
  for (const i of order) {
    const network = nodes[i]?.truth.network;
    const from = pickOpen(network === 'ipv4' || network === 'ipv6' ? open.any : open.core);
    if (from === undefined)
      throw new Error('simnet spec: address tables too small to gossip every address; raise table.min');
    tree[from]?.push(i);
    reach(i);
  }
  nodes.forEach((n, i) => {
    const want = size[i] as number;
    if (want === 0) return;
    const set = new Set(tree[i]);
    tree[i] = [];
    for (let tries = 0; set.size < want && tries < want * 4; tries++) {
      const other = rng.int(0, nodes.length - 1);
      if (other !== i && carries(n, nodes[other] as NodePlan)) set.add(other);
    }
    n.answerTo = Uint32Array.from(set);
    n.truth.answerCount = n.answerTo.length;
  });
}
