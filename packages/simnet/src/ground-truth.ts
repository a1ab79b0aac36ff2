import type { Network, Outcome } from '@bitcrawl/model';
import type { NodeKind } from './spec.ts';

/** One advertised address as the node puts it on the wire. */
export interface TruthAddr {
  network: Network;
  host: string;
  port: number;
  /** uint64 as a decimal string. */
  services: string;
  time: number;
}

export interface TruthNode {
  /** "host:port" / "[v6]:port" as formatEndpoint writes it. */
  endpoint: string;
  network: Network;
  host: string;
  port: number;
  /** 'dead' = advertised, nothing behind it; 'dropped' = its SYNs are dropped (see spec.dropped). */
  kind: NodeKind | 'dead' | 'dropped';
  expectedOutcome: Outcome;
  /** What the node says in its version message (absent for nodes that never send one). */
  version?: {
    protocolVersion: number;
    services: string;
    userAgent: string;
    startHeight: number;
    relay: boolean;
  };
  /**
   * The transport a node that answers the handshake speaks: 'v2' (BIP324, and v1 inbound too,
   * as Core), or 'v1' only. Its version's services carry NODE_P2P_V2 for every v2 node and for
   * a v1 node that advertises it anyway (one that resets the connection on a v2 key). Absent
   * for nodes that never answer a handshake.
   */
  transport?: 'v1' | 'v2';
  /**
   * The node's exact getaddr answer as the crawler receives it (empty when it answers nothing
   * usable). Built on each read from the plan's compact form: read it once per use.
   */
  answer: TruthAddr[];
  /** answer.length, without building it. */
  answerCount: number;
}

export interface GroundTruth {
  chain: string;
  seed: number;
  /** Endpoints to start a crawl from. */
  seeds: string[];
  nodes: TruthNode[];
  /** Every gossip edge: the sum of all answers. */
  edgeCount: number;
  /** false: the answers were left out of the ground truth file (spec.truthEdges), so read as []. */
  edges: boolean;
}
