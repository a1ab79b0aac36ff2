export { coalesceWrites } from './coalesce-writes.ts';
export {
  CRAWL_QUEUE,
  type CrawlJob,
  type CrawlTarget,
  crawlIdSchema,
  crawlJobSchema,
  jobIdFor,
  newCrawlId,
  OBSERVATION_STREAM,
  PREFIX,
  parseJobId,
  VISIT_BATCH,
  visitJobs,
} from './contract.ts';
export {
  type Candidate,
  DEFAULT_REVISIT,
  Frontier,
  type FrontierPolicy,
  type RevisitPolicy,
  roundTtlMsFor,
} from './frontier.ts';
export { ingestBacklog, ObservationStreamReader } from './observation-stream.ts';
export {
  createCrawlQueue,
  createSeedQueue,
  failedJobsByNetwork,
  JOB_RETENTION,
  requeueLost,
} from './queues.ts';
export { pushRoundEnded, ROUNDS_ENDED_KEY, type RoundEnded } from './round-ended.ts';
export { clearCurrentRound, currentRound, SeederLease, saveCurrentRound } from './seeder-lease.ts';
export { createStatusSampler, type StatusSample } from './status.ts';
