import { formatEndpoint } from '@bitcrawl/protocol';
import type { SnapshotNode } from '@bitcrawl/storage';

/**
 * The Bitnodes snapshot JSON, written piece by piece: `{"timestamp", "total_nodes",
 * "latest_height", "nodes": {"host:port": [13 fields]}}`. The fields in Bitnodes' order:
 * protocol version, user agent, connected since, services, height, hostname, city, country,
 * latitude, longitude, timezone, ASN, organization; null where unknown (we resolve no hostnames).
 * Onion nodes get Bitnodes' "TOR" / "Tor network" for ASN and organization.
 */
export function bitnodesHead(timestamp: number, totalNodes: number, latestHeight: number): string {
  return `{"timestamp":${timestamp},"total_nodes":${totalNodes},"latest_height":${latestHeight},"nodes":{`;
}
export const BITNODES_TAIL = '}}\n';

const str = (s: string) => (s === '' ? 'null' : JSON.stringify(s));

export function bitnodesEntry(n: SnapshotNode): string {
  const onion = n.network === 'onion';
  const fields = [
    String(n.protocolVersion),
    JSON.stringify(n.userAgent),
    n.upSince > 0 ? String(n.upSince) : 'null',
    BigInt(n.services).toString(), // uint64 as a JSON number, every digit kept
    String(n.startHeight),
    'null',
    str(n.city),
    str(n.country),
    n.latitude !== undefined ? String(n.latitude) : 'null',
    n.longitude !== undefined ? String(n.longitude) : 'null',
    str(n.timezone),
    onion ? '"TOR"' : n.asn > 0 ? `"AS${n.asn}"` : 'null',
    onion ? '"Tor network"' : str(n.asOrg),
  ];
  return `${JSON.stringify(formatEndpoint(n))}:[${fields.join(',')}]`;
}
