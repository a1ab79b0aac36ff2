import type { GroundTruth, TruthNode } from '@bitcrawl/simnet';
import { queryRows, type Store } from '@bitcrawl/storage';

/**
 * Compares a finished round in ClickHouse with the simnet's ground truth, row by row:
 * every address visited exactly once with its expected outcome class, exact version fields
 * for every ok node, and exactly the gossip edges each node advertised. Returns mismatches.
 */
export async function compareWithTruth(
  store: Store,
  crawlId: string,
  truth: GroundTruth,
  /** The crawl's TRANSPORT: with 'v1' every visit must be v1, nothing tried in v2. */
  transport: 'v2-first' | 'v1' = 'v2-first',
): Promise<string[]> {
  const problems: string[] = [];
  const obs = await queryRows<Record<string, string>>(
    store,
    `SELECT network, host, toString(port) AS port, outcome, toString(protocol_version) AS pv, toString(services) AS services,
            user_agent, toString(start_height) AS sh, toString(relay) AS relay, toString(addrs_received) AS n,
            toString(transport) AS transport, toString(v2_fallback) AS fallback, v2_session_id AS sid
     FROM observations FINAL WHERE crawl_id = '${crawlId}'`,
  );
  const key = (n: { network: string; host: string; port: string | number }) =>
    `${n.network}|${n.host}|${n.port}`;
  const seen = new Map<string, Record<string, string>>();
  const seeds = new Set(truth.seeds);
  for (const r of obs) {
    const k = key(r as { network: string; host: string; port: string });
    if (seen.has(k)) problems.push(`visited twice: ${k}`);
    seen.set(k, r);
  }
  for (const n of truth.nodes) {
    const r = seen.get(key(n));
    if (!r) {
      problems.push(`never visited: ${n.kind} ${n.endpoint}`);
      continue;
    }
    if (r.outcome !== n.expectedOutcome)
      problems.push(`${n.kind} ${n.endpoint}: outcome ${r.outcome}, expected ${n.expectedOutcome}`);
    if (n.expectedOutcome === 'ok' && n.version) {
      const v = n.version;
      const want = [
        String(v.protocolVersion),
        v.services,
        v.userAgent,
        String(v.startHeight),
        v.relay ? '1' : '0',
        String(n.answer.length),
      ];
      const got = [r.pv, r.services, r.user_agent, r.sh, r.relay, r.n];
      if (want.join('|') !== got.join('|'))
        problems.push(`${n.endpoint}: version/answer ${got.join('|')} != ${want.join('|')}`);
    }
    if (transport === 'v1' && (r.transport !== 'v1' || r.fallback !== '0'))
      problems.push(`${n.endpoint}: transport ${r.transport}, fallback ${r.fallback} in a v1 crawl`);
    if (transport === 'v2-first' && n.expectedOutcome === 'ok' && n.transport)
      problems.push(...transportProblems(n, r, seeds));
  }
  if (seen.size !== truth.nodes.length)
    problems.push(`visited ${seen.size} addresses, ground truth has ${truth.nodes.length}`);

  const edges = await queryRows<Record<string, string>>(
    store,
    `SELECT src_network, src_host, toString(src_port) AS src_port, network, host, toString(port) AS port,
            toString(services) AS services, toString(toUnixTimestamp(advertised_ts)) AS t
     FROM addr_gossip WHERE crawl_id = '${crawlId}'`,
  );
  const got = new Set(
    edges.map(
      (e) =>
        `${e.src_network}|${e.src_host}|${e.src_port}>${e.network}|${e.host}|${e.port}|${e.services}|${e.t}`,
    ),
  );
  let expected = 0;
  for (const n of truth.nodes) {
    if (n.expectedOutcome !== 'ok') continue;
    for (const a of n.answer) {
      expected++;
      const k = `${n.network}|${n.host}|${n.port}>${a.network}|${a.host}|${a.port}|${a.services}|${a.time}`;
      if (!got.has(k)) problems.push(`missing gossip edge ${k}`);
    }
  }
  if (got.size !== expected) problems.push(`addr_gossip has ${got.size} edges, ground truth ${expected}`);
  return problems.slice(0, 50);
}

/**
 * The crawler (v2-first) must speak each node's own transport: v2 to every v2 node, v1 to the
 * others. A v1 node claiming NODE_P2P_V2 is always tried in v2 first (its gossip says so), and
 * so is a seed (nothing told us its services): their fallback must be recorded. A plain v1 node
 * reached through gossip goes straight to v1, unless its job was re-enqueued without the
 * gossiped services (a crashed or interrupted round): either is right for it.
 */
function transportProblems(n: TruthNode, r: Record<string, string>, seeds: Set<string>): string[] {
  const claims = (BigInt(n.version?.services ?? '0') & 0x800n) !== 0n;
  const problems: string[] = [];
  if (r.transport !== n.transport)
    problems.push(`${n.endpoint}: transport ${r.transport}, node speaks ${n.transport}`);
  const fallback = r.fallback === '1';
  if (n.transport === 'v2' && fallback) problems.push(`${n.endpoint}: a v2 node recorded as a v1 fallback`);
  if (n.transport === 'v1' && (claims || seeds.has(n.endpoint)) && !fallback)
    problems.push(`${n.endpoint}: v1 node tried in v2 first, no fallback recorded`);
  if ((r.sid !== '') !== (n.transport === 'v2')) problems.push(`${n.endpoint}: v2 session id '${r.sid}'`);
  return problems;
}

export const ALL_KINDS = {
  core: 20,
  legacy: 3,
  silent: 1,
  slowloris: 1,
  garbage: 1,
  bad_checksum: 1,
  wrong_magic: 1,
  oversized: 1,
  reset_after_version: 1,
  addr_flood: 1,
  blackhole: 0.5,
} as const;
