import { NODE_P2P_V2, type Observation } from '@bitcrawl/model';
import { type Endpoint, endpointId } from '@bitcrawl/protocol';

/** How many peers a worker remembers the transport of; the oldest are forgotten first. */
export const TRANSPORT_MEMORY_SIZE = 50_000;

/**
 * What earlier visits taught this process about peers' transports: 'v2' for a peer that
 * spoke v2 or advertised NODE_P2P_V2 in its version, 'v1' for one that hung up on our v2 key
 * or advertised no NODE_P2P_V2. Bounded (insertion order, oldest out), so a long crawl's
 * memory stays flat; a peer forgotten is planned from its gossiped services again.
 */
export class TransportMemory {
  private readonly known = new Map<string, 'v1' | 'v2'>();

  constructor(private readonly size = TRANSPORT_MEMORY_SIZE) {}

  get(t: Endpoint): 'v1' | 'v2' | undefined {
    return this.known.get(endpointId(t));
  }

  learn(t: Endpoint, obs: Observation): void {
    const k = endpointId(t);
    let verdict: 'v1' | 'v2' | undefined;
    if (obs.v2Fallback) verdict = 'v1';
    else if (obs.transport === 'v2' && obs.outcome === 'ok') verdict = 'v2';
    // What the version says counts only when nothing was tried: a peer that advertises
    // NODE_P2P_V2 but hung up on our key stays 'v1'.
    else if (obs.peer && !this.known.has(k)) verdict = (obs.peer.services & NODE_P2P_V2) !== 0n ? 'v2' : 'v1';
    if (!verdict) return;
    this.known.delete(k); // re-inserted last: the newest entry
    this.known.set(k, verdict);
    if (this.known.size > this.size) this.known.delete(this.known.keys().next().value as string);
  }

  get count(): number {
    return this.known.size;
  }
}
