/** The networks a Bitcoin node can be reached on (BIP155 names; Tor v2 is gone). */
export const NETWORKS = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'] as const;
export type Network = (typeof NETWORKS)[number];

/**
 * A dialable peer: `host` is always the canonical string for its network. The one endpoint
 * shape: the crawler's targets, the queue's addresses and the Observation's address fields are
 * this. Its one text key is endpointId (`network|host|port`, endpoint.ts: job ids, the transport
 * memory); its binary key endpointKey (packed.ts: BIP155 id, address bytes, port), which the
 * frontier stores in Redis; formatEndpoint (endpoint.ts) is its text for people.
 */
export interface Endpoint {
  network: Network;
  host: string;
  port: number;
}

/** BIP155 network ids. Tor v2 (3) is obsolete and never produced or dialed. */
export const BIP155_ID = { ipv4: 1, ipv6: 2, torv2: 3, onion: 4, i2p: 5, cjdns: 6 } as const;

/** Raw address sizes per network, as carried in addrv2. */
export const ADDRESS_SIZE: Record<Network, number> = { ipv4: 4, ipv6: 16, onion: 32, i2p: 32, cjdns: 16 };
