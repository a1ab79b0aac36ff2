import type { GroundTruth } from '@bitcrawl/simnet';
import { queryRows, type Store } from '@bitcrawl/storage';

/**
 * Compares a finished round in ClickHouse with the simnet's ground truth, row by row:
 * every address visited exactly once with its expected outcome class, exact version fields
 * for every ok node, and exactly the gossip edges each node advertised. Returns mismatches.
 */
export async function compareWithTruth(store: Store, crawlId: string, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  const obs = await queryRows<Record<string, string>>(
    store,
    `SELECT network, host, toString(port) AS port, outcome, toString(protocol_version) AS pv, toString(services) AS services,
            user_agent, toString(start_height) AS sh, toString(relay) AS relay, toString(addrs_received) AS n
     FROM observations FINAL WHERE crawl_id = '${crawlId}'`,
  );
  const key = (n: { network: string; host: string; port: string | number }) =>
    `${n.network}|${n.host}|${n.port}`;
  const seen = new Map<string, Record<string, string>>();
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
