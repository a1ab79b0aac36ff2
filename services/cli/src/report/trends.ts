import {
  churnByRound,
  goodByNetwork,
  listRounds,
  locationBreakdown,
  readRounds,
  type Store,
  sessionSummary,
  unreachableEstimate,
  v2Adoption,
} from '@bitcrawl/storage';
import type { Section } from './report.ts';
import { countrySection, pct } from './share.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const hours = (s: number) => (s / 3600).toFixed(1);

/**
 * The network over time: the rounds table, churn between rounds, the unreachable-node estimate,
 * v2 (BIP324) adoption by user-agent family, and, as of the newest selected round, good nodes
 * and uptime sessions. `rounds` are the report's round ids, oldest first.
 */
export async function trendSections(store: Store, rounds: readonly string[]): Promise<Section[]> {
  const all = await listRounds(store);
  const selected = all.filter((r) => rounds.includes(r.crawlId));
  const latest = selected.at(-1);
  if (!latest) return [];
  const sections: Section[] = [];
  const recorded = (await readRounds(store)).filter((r) => rounds.includes(r.crawlId));
  sections.push({
    key: 'rounds',
    title: 'Rounds (as recorded when each ended)',
    rows: recorded.map((r) => ({
      round: r.crawlId,
      network: r.network,
      started: iso(r.started),
      finished: iso(r.finished),
      seeds: r.seeds,
      visited: r.visited,
      reachable: r.reachable,
      failed_visits: r.failedVisits,
      interrupted: r.interrupted ? 'yes' : 'no',
    })),
  });
  sections.push({
    key: 'churn',
    title: 'Churn of reachable nodes against the previous round',
    rows: (await churnByRound(store, all, selected)).map((c) => ({
      round: c.crawlId,
      network: c.network,
      new: c.new,
      gone: c.gone,
      returned: c.returned,
      stayed: c.stayed,
    })),
  });
  sections.push({
    key: 'unreachable',
    title:
      'Unreachable-node estimate (IPv4/IPv6 gossiped with a time within 24 h, never reachable in the round)',
    rows: (await unreachableEstimate(store, rounds)).map((u) => ({
      round: u.crawlId,
      network: u.network,
      gossiped: u.gossiped,
      reachable: u.reachable,
      unreachable: u.unreachable,
      share: pct(u.unreachable, u.gossiped),
    })),
  });
  const v2 = await v2Adoption(store, rounds);
  const perRound = new Map<string, { reachable: number; v2: number }>();
  for (const r of v2) {
    const t = perRound.get(r.crawlId) ?? { reachable: 0, v2: 0 };
    t.reachable += r.reachable;
    t.v2 += r.v2;
    perRound.set(r.crawlId, t);
  }
  sections.push({
    key: 'v2_share',
    title: 'Reachable nodes advertising NODE_P2P_V2 (BIP324) per round',
    rows: rounds.map((id) => {
      const t = perRound.get(id) ?? { reachable: 0, v2: 0 };
      return { round: id, reachable: t.reachable, v2: t.v2, share: pct(t.v2, t.reachable) };
    }),
  });
  sections.push({
    key: 'v2_adoption',
    title: `NODE_P2P_V2 by user-agent family (round ${latest.crawlId}, top 15)`,
    rows: v2
      .filter((r) => r.crawlId === latest.crawlId)
      .slice(0, 15)
      .map((r) => ({ family: r.family, reachable: r.reachable, v2: r.v2, share: pct(r.v2, r.reachable) })),
  });
  const sessions = await sessionSummary(store, latest);
  const good = await goodByNetwork(store, latest);
  sections.push({
    key: 'reliability',
    title: `Good nodes (the DNS seeders' rule) and uptime sessions (as of round ${latest.crawlId})`,
    rows: [...new Set([...good.map((g) => g.network), ...sessions.map((s) => s.network)])]
      .sort()
      .map((network) => {
        const g = good.find((x) => x.network === network);
        const s = sessions.find((x) => x.network === network);
        return {
          network,
          endpoints: g?.endpoints ?? 0,
          good: g?.good ?? 0,
          up_now: s?.open ?? 0,
          median_uptime_h: hours(s?.medianOpenSeconds ?? 0),
          ended_sessions: s?.closed ?? 0,
          median_ended_h: hours(s?.medianClosedSeconds ?? 0),
        };
      }),
  });
  const places = await locationBreakdown(store, latest.crawlId);
  if (places.countries.length > 0) {
    const total = places.countries.reduce((n, c) => n + c.nodes, 0);
    sections.push(
      countrySection(
        'location_countries',
        `Reachable IPv4/IPv6 nodes by country, MMDB city database (round ${latest.crawlId}, top 15)`,
        places.countries,
        total,
      ),
    );
    sections.push({
      key: 'cities',
      title: `Reachable IPv4/IPv6 nodes by city (round ${latest.crawlId}, top 15)`,
      rows: places.cities.map((c) => ({
        city: c.city || '(no data)',
        country: c.country,
        nodes: c.nodes,
        share: pct(c.nodes, total),
      })),
    });
  }
  return sections;
}
