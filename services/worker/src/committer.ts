import type { Observation } from '@bitcrawl/model';
import { type Endpoint, formatEndpoint } from '@bitcrawl/protocol';
import { type Candidate, type CrawlJob, type Frontier, visitJobs } from '@bitcrawl/queue';
import type { Queue } from 'bullmq';

/** What committing one visit did, as the job that made it needs to know. */
export interface CommitOutcome {
  /** False when the address was already recorded this round (a twin or an earlier attempt). */
  recorded: boolean;
  /** Addresses enqueued: this visit's admissions, or what an earlier attempt left unenqueued. */
  enqueued: number;
  /** New addresses of the answer left out by the per-source cap. */
  capped: number;
}

/**
 * The end of a visit: record it and admit its answer in one atomic frontier call, then enqueue
 * what was admitted and clear the outbox: `commitVisit` on the engine's own event loop, or a
 * commit thread (`startCommitThread`), which runs `commitVisit` too.
 */
export interface VisitCommitter {
  /** Rejects on an infrastructure error (Redis): the job is then retried, and commits again. */
  commit(obs: Observation): Promise<CommitOutcome>;
  close(): Promise<void>;
}

export interface CommitDeps {
  frontier: Frontier;
  crawlQueue: Queue<CrawlJob>;
}

/**
 * Jobs added by one BullMQ call. Adding a job costs the loop ~0.1 ms and Redis about as much
 * (one script each): a whole answer's jobs in one call held the loop, and Redis for every
 * other visit, 100 ms and more (1 s of loop lag at the start of a 60,000-address round, when
 * every answer is new). In slices, what waits on the loop and on Redis runs in between.
 */
export const ENQUEUE_SLICE = 100;

/**
 * Enqueues what a visit of `source` admitted, then forgets its outbox: after a commit, and when
 * a redelivered job finds its address recorded already (begin hands the outbox over).
 */
export async function enqueueAdmitted(
  deps: CommitDeps,
  crawlId: string,
  source: Endpoint,
  addrs: readonly Candidate[],
): Promise<void> {
  if (addrs.length === 0) return;
  const jobs = visitJobs(crawlId, formatEndpoint(source), addrs);
  for (let i = 0; i < jobs.length; i += ENQUEUE_SLICE)
    await deps.crawlQueue.addBulk(jobs.slice(i, i + ENQUEUE_SLICE));
  await deps.frontier.clearOutbox(crawlId, source);
}

/**
 * Commits one visit. The frontier keeps the admissions in the address's outbox until they are
 * enqueued, so a job that died between commit and enqueue hands them over when redelivered.
 */
export async function commitVisit(deps: CommitDeps, obs: Observation): Promise<CommitOutcome> {
  const committed = await deps.frontier.commit(obs);
  await enqueueAdmitted(deps, obs.crawlId, obs, committed.enqueue);
  return { recorded: committed.recorded, enqueued: committed.enqueue.length, capped: committed.capped ?? 0 };
}
