import { formatEndpoint } from '@bitcrawl/protocol';
import type { NodeReliability } from '@bitcrawl/storage';

/**
 * sipa's bitcoin-seeder `dnsseed.dump`: a `#` header line, then one line per endpoint with
 * address, good (0/1), last success (unix seconds), the five reliabilities as percentages,
 * start height, services (hex, at least 8 digits), protocol version and the user agent in
 * double quotes. The agent is whatever the peer sent, so it is written as a JSON string (quotes,
 * backslashes and control characters escaped): a plain agent looks exactly as the seeder writes it.
 */
export const DNSSEED_HEADER =
  '# address                                        good  lastSuccess    %(2h)   %(8h)   %(1d)   %(7d)  %(30d)  blocks      svcs  version\n';

const pct = (r: number) => `${(100 * r).toFixed(2).padStart(6)}%`;

export function dnsseedLine(n: NodeReliability): string {
  const r = n.reliability;
  const svcs = BigInt(n.services).toString(16).padStart(8, '0');
  return (
    `${formatEndpoint(n).padEnd(47)}  ${String(n.good ? 1 : 0).padStart(4)}  ` +
    `${String(n.lastSuccess).padStart(11)}  ${pct(r['2h'])} ${pct(r['8h'])} ${pct(r['1d'])} ${pct(r['7d'])} ${pct(r['30d'])}  ` +
    `${String(n.startHeight).padStart(6)}  ${svcs}  ${String(n.protocolVersion).padStart(5)} ${JSON.stringify(n.userAgent)}\n`
  );
}
