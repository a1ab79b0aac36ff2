import type { GroundTruth, TruthNode } from '@bitcrawl/simnet';

/**
 * The simnet's ground truth over several rounds, for nodes taken down and brought back between
 * them: which addresses each round visits (a crawl from the seeds and the addresses visited
 * before, through the answers of the nodes that are up and answer), which are reachable, and
 * the churn between rounds.
 */
export const key = (n: { network: string; host: string; port: number | string }) =>
  `${n.network}|${n.host}|${n.port}`;

export function roundTruth(
  truth: GroundTruth,
  down: ReadonlySet<string>,
  known: ReadonlySet<string> = new Set(),
) {
  const byKey = new Map(truth.nodes.map((n) => [key(n), n]));
  const endpointKey = new Map(truth.nodes.map((n) => [n.endpoint, key(n)]));
  const up = (n: TruthNode) => n.expectedOutcome === 'ok' && !down.has(n.endpoint);
  const visited = new Set<string>();
  // A round starts from the seeds and every address an earlier round visited.
  const queue = [...new Set([...truth.seeds.map((s) => endpointKey.get(s) as string), ...known])];
  for (const k of queue) visited.add(k);
  while (queue.length > 0) {
    const n = byKey.get(queue.shift() as string) as TruthNode;
    if (!up(n)) continue;
    for (const a of n.answer) {
      const k = key(a);
      if (!visited.has(k)) {
        visited.add(k);
        queue.push(k);
      }
    }
  }
  const reachable = new Set([...visited].filter((k) => up(byKey.get(k) as TruthNode)));
  return { visited, reachable };
}

export interface ChurnTruth {
  new: number;
  gone: number;
  returned: number;
  stayed: number;
}

/** Churn of round i against round i - 1, per network, from the reachable sets. */
export function churnTruth(reachable: readonly Set<string>[], i: number): Map<string, ChurnTruth> {
  const out = new Map<string, ChurnTruth>();
  const bump = (k: string, cls: keyof ChurnTruth) => {
    const net = k.split('|')[0] as string;
    const row = out.get(net) ?? { new: 0, gone: 0, returned: 0, stayed: 0 };
    row[cls]++;
    out.set(net, row);
  };
  const now = reachable[i] as Set<string>;
  const prev = i > 0 ? (reachable[i - 1] as Set<string>) : new Set<string>();
  const before = new Set(reachable.slice(0, i).flatMap((s) => [...s]));
  for (const k of now) bump(k, prev.has(k) ? 'stayed' : before.has(k) ? 'returned' : 'new');
  for (const k of prev) if (!now.has(k)) bump(k, 'gone');
  return out;
}

/** Reads a dnsseed.dump line by its column layout (written independently of the exporter). */
export function parseDnsseedLine(line: string) {
  const m =
    /^(\S+)\s+([01])\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%\s+(-?\d+)\s+([0-9a-f]{8,16})\s+(-?\d+)\s+"((?:[^"\\]|\\.)*)"$/.exec(
      line,
    );
  if (!m) throw new Error(`not a dnsseed.dump line: ${line}`);
  return {
    address: m[1] as string,
    good: m[2] === '1',
    lastSuccess: Number(m[3]),
    pct: [m[4], m[5], m[6], m[7], m[8]].map(Number),
    blocks: Number(m[9]),
    services: BigInt(`0x${m[10]}`).toString(),
    version: Number(m[11]),
    userAgent: JSON.parse(`"${m[12]}"`) as string,
  };
}

/** RFC 4180 CSV, quoted fields included (a user agent may hold commas). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}
