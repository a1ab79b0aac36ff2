import type { CrawlJob } from '@bitcrawl/queue';
import { insertRounds, type RoundSummaryRow, type Store } from '@bitcrawl/storage';
import type { Queue } from 'bullmq';

/**
 * When a round ends: its `rounds` rows (one per network it visited or was seeded in), from the
 * round summary the store holds.
 */
export async function recordRound(
  store: Store,
  r: {
    crawlId: string;
    started: number;
    finished: number;
    summary: readonly RoundSummaryRow[];
    seedsByNetwork: Record<string, number>;
    /** Addresses left unvisited because their jobs failed for good, per network. */
    failedByNetwork: Record<string, number>;
    interrupted: boolean;
  },
): Promise<void> {
  const networks = new Set([
    ...r.summary.map((s) => s.network),
    ...Object.keys(r.seedsByNetwork),
    ...Object.keys(r.failedByNetwork),
  ]);
  await insertRounds(
    store,
    [...networks].sort().map((network) => {
      const s = r.summary.find((x) => x.network === network);
      return {
        crawlId: r.crawlId,
        network,
        started: r.started,
        finished: r.finished,
        seeds: r.seedsByNetwork[network] ?? 0,
        visited: Number(s?.visited ?? 0),
        reachable: Number(s?.reachable ?? 0),
        failedVisits: r.failedByNetwork[network] ?? 0,
        interrupted: r.interrupted,
      };
    }),
  );
}

/** The round's jobs that failed for good, counted by network (at most the newest 100,000). */
export async function failedByNetwork(
  crawlQueue: Queue<CrawlJob>,
  crawlId: string,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const job of await crawlQueue.getFailed(0, 99_999)) {
    if (job?.data.crawlId === crawlId) out[job.data.network] = (out[job.data.network] ?? 0) + 1;
  }
  return out;
}
