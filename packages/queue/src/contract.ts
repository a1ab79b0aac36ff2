import { CRAWL_ID_PATTERN, CRAWL_ID_RULE } from '@bitcrawl/config/defaults';
import { endpointSchema } from '@bitcrawl/model';
import { type Endpoint, endpointId, parseEndpointId } from '@bitcrawl/protocol';
import { z } from 'zod';

/**
 * The queue contract, shared by seeder, worker, ingester and the status command.
 * Redis keys all live under PREFIX so one Redis can serve one bitcrawl deployment.
 */
export const PREFIX = 'bitcrawl';
export const CRAWL_QUEUE = 'crawl';
export const SEED_QUEUE = 'seed';
export const OBSERVATION_STREAM = `${PREFIX}:observations`;
export const DEAD_LETTER_STREAM = `${PREFIX}:observations:dead`;
export const INGEST_GROUP = 'ingester';
export const CURRENT_ROUND_KEY = `${PREFIX}:round:current`;

/**
 * A new round's id, the one format every command uses (crawl, seeder, stack): `r` and the UTC
 * time to the second, e.g. `r20261124T160442Z`, so ids sort by time.
 */
export function newCrawlId(now = Date.now()): string {
  return `r${new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}
/**
 * Round ids appear in Redis keys and BullMQ job ids: kept to a safe alphabet, checked with the
 * one pattern (config's CRAWL_ID_PATTERN) everywhere.
 */
export const crawlIdSchema = z.string().regex(CRAWL_ID_PATTERN, CRAWL_ID_RULE);

/** One address a job visits: services as its gossip entry advertised them, when it did. */
export const crawlTargetSchema = z.object({
  ...endpointSchema.shape,
  /**
   * The services its gossip entry advertised (uint64, decimal: jobs travel as JSON), so the
   * visit can go v2 first to a NODE_P2P_V2 node. Absent for seeds and re-enqueued addresses.
   */
  services: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
});
export type CrawlTarget = z.infer<typeof crawlTargetSchema>;

/**
 * Addresses one job visits at most. BullMQ costs about 0.2 ms of the worker's loop and as much
 * of Redis per job (add, fetch, finish, five event-stream entries, an LREM over the active list);
 * at one job per address that was a fifth of a mainnet-shaped round's CPU. An answer's
 * admissions go in jobs of up to this many: at the start of a round, when answers are mostly
 * new, that is 16 times fewer jobs; later answers admit a few addresses and make small jobs.
 * A worker runs `concurrency` visits at once, and takes no more jobs while that many more wait
 * for a slot (the worker's startWorker).
 */
export const VISIT_BATCH = 16;

/** Jobs written before batching carried one endpoint's fields at the top level. */
const legacyJob = (v: unknown) => {
  if (typeof v !== 'object' || v === null || 'targets' in v || !('host' in v)) return v;
  const { crawlId, source, network, host, port, services } = v as Record<string, unknown>;
  return { crawlId, source, targets: [{ network, host, port, services }] };
};

export const crawlJobSchema = z.preprocess(
  legacyJob,
  z.object({
    crawlId: crawlIdSchema,
    /** Endpoint of the node that advertised these addresses, or 'seed', 'known', 'requeue'. */
    source: z.string().max(100).optional(),
    targets: z.array(crawlTargetSchema).min(1).max(VISIT_BATCH),
  }),
);
export type CrawlJob = z.output<typeof crawlJobSchema>;

/** A BullMQ bulk entry, as Queue.addBulk takes it. */
export interface VisitJob {
  name: 'visit';
  data: CrawlJob;
  opts: { jobId: string };
}

/**
 * The jobs that visit `targets`, in slices of `batch` (VISIT_BATCH, or 1 where a job per address
 * is wanted: requeueLost looks for lost addresses by their job ids). A job is named by its first
 * address (jobIdFor): admitted once per round, it names no other job of the round, and the same
 * slice enqueued twice (a redelivered hand-over, a seeder run again) is one job.
 */
export function visitJobs(
  crawlId: string,
  source: string | undefined,
  targets: readonly (Endpoint & { services?: bigint | string })[],
  batch = VISIT_BATCH,
): VisitJob[] {
  const jobs: VisitJob[] = [];
  for (let i = 0; i < targets.length; i += batch) {
    const slice = targets
      .slice(i, i + batch)
      .map(
        ({ network, host, port, services }): CrawlTarget =>
          services === undefined
            ? { network, host, port }
            : { network, host, port, services: String(services) },
      );
    const data: CrawlJob =
      source === undefined ? { crawlId, targets: slice } : { crawlId, source, targets: slice };
    jobs.push({ name: 'visit', data, opts: { jobId: jobIdFor(crawlId, slice[0] as CrawlTarget) } });
  }
  return jobs;
}

/**
 * A job's id: its round and its (first) endpoint's one text key (protocol's endpointId). BullMQ job
 * ids cannot contain ':' (IPv6 hosts do), so ':' becomes '!', which no host,
 * network or crawl id contains. Reversible, and the same address in the same round always
 * gets the same id, so BullMQ itself refuses a second copy while one is queued.
 */
export function jobIdFor(crawlId: string, a: Endpoint): string {
  return `${crawlId}|${endpointId(a)}`.replaceAll(':', '!');
}

export function parseJobId(id: string): Endpoint & { crawlId: string } {
  const text = id.replaceAll('!', ':');
  const bar = text.indexOf('|');
  return { crawlId: text.slice(0, bar), ...parseEndpointId(text.slice(bar + 1)) };
}
