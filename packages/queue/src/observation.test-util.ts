import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, packAddrs } from '@bitcrawl/protocol';

type V4 = { network: 'ipv4'; host: string; port: number };

/** A visit of `a` in round `crawlId` that gossiped `answer` (services 9, one fixed time). */
export function observation(
  a: V4,
  crawlId: string,
  outcome: Observation['outcome'],
  answer: readonly V4[] = [],
): Observation {
  return {
    ts: Date.now(),
    crawlId,
    ...a,
    outcome,
    error: '',
    peer: null,
    connectMs: 1,
    handshakeMs: 0,
    addrs: answer.length
      ? packAddrs(answer.map((e) => ({ ...e, services: 9n, time: 1_700_000_000 })))
      : EMPTY_PACKED,
  };
}
