import {
  geoBreakdown,
  hasGeo,
  inRoundOrder,
  listRounds,
  NoSuchRoundError,
  outcomesByRound,
  reachableByRound,
  type Store,
  topErrors,
  transportByRound,
  userAgents,
} from '@bitcrawl/storage';
import { formatRows } from '../format.ts';
import { countrySection, pct } from './share.ts';
import { trendSections } from './trends.ts';

export interface Section {
  key: string;
  title: string;
  rows: Record<string, string | number>[];
  /** Extra lines under the table (the sparklines); table format only. */
  lines?: string[];
}

export interface Report {
  /** Round ids covered, oldest first; the snapshot sections describe the last one. */
  rounds: string[];
  /** What the store holds besides: how many rounds, and the newest (by first visit). */
  inStore: { rounds: number; newest?: string };
  sections: Section[];
}

/** Which rounds to report: one by id, the newest N, or all. The default is the newest round. */
export interface RoundChoice {
  round?: string;
  rounds?: number | 'all';
}

/** Round ids, oldest first (by first visit, the order churn compares them in). */
async function chooseRounds(store: Store, sel: RoundChoice) {
  const stored = (await listRounds(store)).map((r) => r.crawlId);
  const inStore = { rounds: stored.length, ...(stored.length ? { newest: stored.at(-1) } : {}) };
  if (sel.round !== undefined) {
    if (!stored.includes(sel.round)) throw new NoSuchRoundError(`no observations for round ${sel.round}`);
    return { rounds: [sel.round], inStore };
  }
  const n = sel.rounds === 'all' ? stored.length : Math.max(1, Math.floor(sel.rounds ?? 1));
  return { rounds: stored.slice(-n), inStore };
}

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled to the series' maximum (graph-over-time at a glance). */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? BARS[0] : BARS[Math.min(7, Math.round((v / max) * 7))])).join('');
}

/** The crawl's headline numbers: over the selected rounds, and for the newest one of them. */
export async function buildReport(store: Store, sel: RoundChoice = {}): Promise<Report> {
  const { rounds, inStore } = await chooseRounds(store, sel);
  if (rounds.length === 0) return { rounds, inStore, sections: [] };
  const latest = rounds.at(-1) as string;
  const sections: Section[] = [];

  const reach = await reachableByRound(store, rounds);
  const networks = [...new Set(reach.map((r) => r.network))].sort();
  const series = networks.map((n) =>
    rounds.map((id) => reach.find((r) => r.round === id && r.network === n)?.reachable ?? 0),
  );
  const width = Math.max(7, ...networks.map((n) => n.length));
  sections.push({
    key: 'reachable',
    title: `Reachable nodes per network and round (${rounds.length} round${rounds.length > 1 ? 's' : ''}, oldest first)`,
    rows: reach,
    lines: networks.map((n, i) => {
      const s = series[i] as number[];
      return `${n.padEnd(width)}  ${sparkline(s)}  min ${Math.min(...s)}  max ${Math.max(...s)}  last ${s.at(-1)}`;
    }),
  });

  const outcomes = await outcomesByRound(store, rounds);
  const totals = new Map<string, number>();
  for (const o of outcomes) totals.set(o.round, (totals.get(o.round) ?? 0) + o.visits);
  sections.push({
    key: 'outcomes',
    title: 'Visit outcomes per round',
    rows: inRoundOrder(
      rounds,
      outcomes,
      (o) => o.round,
      (a, b) => b.visits - a.visits || a.outcome.localeCompare(b.outcome),
    ).map((o) => ({ ...o, share: pct(o.visits, totals.get(o.round) ?? 0) })),
  });
  sections.push({
    key: 'errors',
    title: 'Top errors (all selected rounds)',
    rows: await topErrors(store, rounds),
  });
  sections.push({
    key: 'user_agents',
    title: `User agents of reachable nodes (round ${latest}, top 15)`,
    rows: await userAgents(store, latest),
  });
  sections.push({
    key: 'transport',
    title: 'BIP324 v2 among reachable nodes per round: advertised (NODE_P2P_V2) against really spoken',
    rows: (await transportByRound(store, rounds)).map((t) => ({
      round: t.round,
      reachable: t.reachable,
      advertised_v2: t.advertised,
      advertised_share: pct(t.advertised, t.reachable),
      spoke_v2: t.v2,
      v2_share: pct(t.v2, t.reachable),
      v1_fallback: t.fallback,
    })),
  });

  if (await hasGeo(store)) {
    const geo = await geoBreakdown(store, latest);
    const total = geo.clouds.reduce((s, c) => s + c.nodes, 0);
    sections.push(
      countrySection(
        'countries',
        `Reachable IPv4/IPv6 nodes by country (round ${latest}, top 15)`,
        geo.countries,
        total,
      ),
    );
    sections.push({
      key: 'ases',
      title: `Reachable IPv4/IPv6 nodes by AS (round ${latest}, top 15)`,
      rows: geo.ases.map((a) => ({
        asn: a.asn === 0 ? '(no data)' : `AS${a.asn}`,
        org: a.org,
        nodes: a.nodes,
        share: pct(a.nodes, total),
      })),
    });
    const cloud = geo.clouds.filter((c) => c.cloud !== '').reduce((s, c) => s + c.nodes, 0);
    const noData = geo.clouds.filter((c) => c.noData).reduce((s, c) => s + c.nodes, 0);
    sections.push({
      key: 'cloud',
      title: `Cloud vs. non-cloud (round ${latest}; cloud = AS of a known provider)`,
      rows: [
        { class: 'cloud', nodes: cloud, share: pct(cloud, total) },
        { class: 'not cloud', nodes: total - cloud - noData, share: pct(total - cloud - noData, total) },
        { class: '(no data)', nodes: noData, share: pct(noData, total) },
      ],
    });
    sections.push({
      key: 'cloud_providers',
      title: `Reachable nodes per cloud provider (round ${latest})`,
      rows: geo.clouds
        .filter((c) => c.cloud !== '')
        .map((c) => ({ provider: c.cloud, nodes: c.nodes, share: pct(c.nodes, total) })),
    });
  }
  // The network over time (issue 14): rounds, churn, unreachable estimate, v2, reliability.
  sections.push(...(await trendSections(store, rounds)));
  return { rounds, inStore, sections };
}

/** table: a titled table per section; csv: `# title` then CSV per section; json: one document. */
export function renderReport(report: Report, format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') {
    const sections = Object.fromEntries(report.sections.map((s) => [s.key, s.rows]));
    return `${JSON.stringify({ rounds: report.rounds, inStore: report.inStore, sections })}\n`;
  }
  if (report.rounds.length === 0) return format === 'csv' ? '' : '(no rounds in the store)\n';
  const head = `${format === 'csv' ? '# rounds: ' : 'Report of '}${coverage(report)}`;
  return (
    (format === 'csv' ? `${head}\n` : `${head}\n\n`) +
    report.sections
      .map((s) =>
        format === 'csv'
          ? `# ${s.title}\n${formatRows(s.rows, 'csv')}`
          : `== ${s.title}\n${formatRows(s.rows, 'table')}${s.lines?.length ? `\n${s.lines.join('\n')}\n` : ''}`,
      )
      .join('\n')
  );
}

/**
 * Which rounds a report covers, and what else the store holds: a store keeps every round
 * crawled into it, and a report of one of them must not read as a report of the store.
 */
function coverage(report: Report): string {
  const [first, latest] = [report.rounds[0], report.rounds.at(-1)];
  const covers =
    report.rounds.length === 1
      ? `round ${latest}`
      : `${report.rounds.length} rounds, ${first} to ${latest} (the sections of one round: ${latest})`;
  const { rounds: held, newest } = report.inStore;
  if (held <= 1) return `${covers}, the only round in the store`;
  if (held === report.rounds.length) return `${covers}, every round in the store`;
  return `${covers}, of ${held} rounds in the store (newest ${newest}; --round ID, --rounds N, --all-rounds)`;
}
