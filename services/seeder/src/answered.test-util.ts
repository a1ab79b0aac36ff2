import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, packAddrs } from '@bitcrawl/protocol';

/** What the tests' stand-in workers record: an ok IPv4 visit of `host:port` that gossiped `answer`. */
export function answered(
  crawlId: string,
  { host, port }: { host: string; port: number },
  answer: readonly { network: 'ipv4'; host: string; port: number }[],
): Observation {
  return {
    ts: Date.now(),
    crawlId,
    network: 'ipv4',
    host,
    port,
    outcome: 'ok',
    error: '',
    peer: null,
    connectMs: 1,
    handshakeMs: 1,
    addrs: answer.length
      ? packAddrs(answer.map((e) => ({ ...e, services: 9n, time: 1_700_000_000 })))
      : EMPTY_PACKED,
  };
}
