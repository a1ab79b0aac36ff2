import type { AddrEntry } from '@bitcrawl/protocol';
import type { NodePlan } from './generate.ts';
import type { TruthAddr, TruthNode } from './ground-truth.ts';
import type { SimnetSpec } from './spec.ts';

/** Services bits an advertised address carries (one per edge, from its hash). */
const ADDR_SERVICES = [0x1n, 0x9n, 0x409n, 0xc09n, 0x449n];

export const NO_ANSWER = new Uint32Array(0);

/**
 * Gives a plan its `answer` (AddrEntry) and its truth's `answer` (TruthAddr) as getters over
 * answerTo: each edge's time and services come from a hash of the pair, so nothing per edge
 * is stored beyond its 4-byte index.
 */
export function withLazyAnswer(
  nodes: NodePlan[],
  spec: Pick<SimnetSpec, 'seed' | 'recentAddrTimesAt'>,
  plan: Omit<NodePlan, 'answer' | 'truth'> & { truth: Omit<TruthNode, 'answer'> },
): NodePlan {
  const from = nodes.length;
  const entries = (): AddrEntry[] =>
    Array.from(plan.answerTo, (to) => {
      const h = mix(from + spec.seed * 65_537, to);
      const t = (nodes[to] as NodePlan).truth;
      return {
        time: addrTime(h, spec.recentAddrTimesAt),
        // The services the node itself advertises (the crawler plans v2 from them); a node that
        // never sends a version gets one of the common values.
        services: t.version
          ? BigInt(t.version.services)
          : (ADDR_SERVICES[(h >>> 24) % ADDR_SERVICES.length] as bigint),
        network: t.network,
        host: t.host,
        port: t.port,
      };
    });
  Object.defineProperty(plan.truth, 'answer', {
    enumerable: true,
    get: (): TruthAddr[] =>
      entries().map((a) => ({
        network: a.network,
        host: a.host,
        port: a.port,
        services: String(a.services),
        time: a.time,
      })),
  });
  Object.defineProperty(plan, 'answer', { enumerable: true, get: entries });
  return plan as NodePlan;
}

/**
 * An edge's advertised time: fixed times in 2023, or with `recentAt` half 0-12 h and half
 * 36-48 h before it (either side of the unreachable estimate's 24 h cut, whatever the crawl's
 * delay). From the edge's hash, so the truth and the wire agree.
 */
export function addrTime(h: number, recentAt: number | undefined): number {
  if (recentAt === undefined) return 1_700_000_000 + (h % 10_000_001);
  const r = (h >>> 8) % 43_201;
  return (h & 1) === 0 ? recentAt - r : recentAt - 129_600 - r;
}

/** A 32-bit hash of an edge (murmur3's finalizer over both ends). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
