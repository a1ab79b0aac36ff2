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
 * Round ids appear in Redis keys, BullMQ job ids and (18.16 has no query parameters) SQL
 * literals: keep them to a safe alphabet, and check with this one pattern everywhere.
 */
export { CRAWL_ID_PATTERN };

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
export const crawlIdSchema = z.string().regex(CRAWL_ID_PATTERN, CRAWL_ID_RULE);

export const crawlJobSchema = z.object({
  crawlId: crawlIdSchema,
  ...endpointSchema.shape,
  /** Endpoint of the node that advertised this address, or 'seed'. */
  source: z.string().max(100).optional(),
  /**
   * The services its gossip entry advertised (uint64, decimal: jobs travel as JSON), so the
   * visit can go v2 first to a NODE_P2P_V2 node. Absent for seeds and re-enqueued addresses.
   */
  services: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
});
export type CrawlJob = z.infer<typeof crawlJobSchema>;

/**
 * A job's id: its round and its endpoint's one text key (protocol's endpointId). BullMQ job
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
