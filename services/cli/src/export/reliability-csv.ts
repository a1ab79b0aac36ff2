import { type NodeReliability, RELIABILITY_WINDOWS } from '@bitcrawl/storage';

/** The per-node reliability rows as CSV (RFC 4180 quoting; reliabilities 0..1, times unix seconds). */
export const CSV_COLUMNS = [
  'network',
  'host',
  'port',
  'good',
  'first_seen',
  'last_seen',
  'last_success',
  'up_since',
  'visits',
  'successes',
  ...RELIABILITY_WINDOWS.map((w) => `reliability_${w.key}`),
  ...RELIABILITY_WINDOWS.map((w) => `weighted_visits_${w.key}`),
  'protocol_version',
  'services',
  'user_agent',
  'start_height',
];

const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export function csvLine(n: NodeReliability): string {
  const cells = [
    n.network,
    n.host,
    n.port,
    n.good ? 1 : 0,
    n.firstSeen,
    n.lastSeen,
    n.lastSuccess,
    n.upSince,
    n.visits,
    n.successes,
    ...RELIABILITY_WINDOWS.map((w) => n.reliability[w.key].toFixed(6)),
    ...RELIABILITY_WINDOWS.map((w) => n.weightedVisits[w.key].toFixed(6)),
    n.protocolVersion,
    n.services,
    n.userAgent,
    n.startHeight,
  ];
  return `${cells.map((c) => q(String(c))).join(',')}\n`;
}
