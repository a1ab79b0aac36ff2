import type { Visitor } from '@bitcrawl/crawler';
import type { Observation } from '@bitcrawl/model';
import { formatEndpoint } from '@bitcrawl/protocol';
import {
  CRAWL_QUEUE,
  type CrawlJob,
  crawlJobSchema,
  type Frontier,
  JOB_RETENTION,
  jobIdFor,
  PREFIX,
} from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import { type Job, type Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const workerConfigSchema = z.object({
  concurrency: z.number().int().min(1).max(10_000).default(500),
  /** Longer than the longest visit is not needed (locks are renewed), but a dead worker's jobs wait this long. */
  lockDurationMs: z.number().int().min(1000).default(30_000),
  stalledIntervalMs: z.number().int().min(1000).default(30_000),
  /** On close, how long in-flight visits may finish before they are aborted and handed back. */
  shutdownGraceMs: z.number().int().min(0).default(20_000),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

export interface WorkerDeps {
  connection: Redis;
  crawlQueue: Queue<CrawlJob>;
  frontier: Frontier;
  visitor: Visitor;
  logger: Logger;
  metrics?: Metrics;
}

/** A visit cut short by shutdown: its job goes back to the queue and nothing is recorded. */
export class VisitAbortedError extends Error {
  readonly code = 'VISIT_ABORTED';
  constructor(target: string) {
    super(`visit of ${target} aborted by shutdown`);
    this.name = 'VisitAbortedError';
  }
}

/** Resolves with the visit, or rejects as soon as `signal` aborts (even if the visit ignores it). */
function untilAborted(visit: Promise<Observation>, signal: AbortSignal | undefined, target: string) {
  if (!signal) return visit;
  return new Promise<Observation>((resolve, reject) => {
    const onAbort = () => reject(new VisitAbortedError(target));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    visit.then(
      (obs) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) onAbort();
        else resolve(obs);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * One crawl job: visit, enqueue what the node told us that this round has not seen, then
 * record the observation (once per round, atomically with the stream append). The frontier
 * keeps what this visit admitted in the address's outbox until the record, so a job that died
 * between admitting and enqueueing re-enqueues all of it when redelivered, even if the second
 * visit is answered differently. A job for an address already recorded does nothing. Peers
 * that fail are normal results; only Redis/infrastructure errors throw and are retried by
 * BullMQ. If `signal` aborts (shutdown), throws VisitAbortedError before anything is written.
 */
export async function processCrawlJob(
  deps: WorkerDeps,
  job: Job<CrawlJob>,
  signal?: AbortSignal,
): Promise<string> {
  const parsed = crawlJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad crawl job ${job.id}: ${parsed.error.message}`);
  const { crawlId, services, ...rest } = parsed.data;
  const target = rest;
  const source = formatEndpoint(target);
  if (await deps.frontier.isRecorded(crawlId, target)) {
    // A twin of this job (its lock lapsed and another worker took it over) may have admitted
    // addresses after the record and died before enqueueing them: enqueue what its outbox holds.
    const { enqueue } = await deps.frontier.admitFrom(crawlId, target, []);
    await enqueueVisits(deps, crawlId, source, enqueue);
    await deps.frontier.clearOutbox(crawlId, target);
    return 'already-recorded';
  }
  const obs = await untilAborted(
    deps.visitor.visit(services === undefined ? target : { ...target, services: BigInt(services) }, {
      crawlId,
      ...(signal ? { signal } : {}),
    }),
    signal,
    source,
  );
  // The harvested entries go in as they are (no copy per address); only the few admitted
  // ones become job data, field by field (an entry also carries a BigInt, which JSON cannot).
  const { admitted, enqueue } = await deps.frontier.admitFrom(crawlId, target, obs.addrs);
  await enqueueVisits(deps, crawlId, source, enqueue);
  deps.metrics?.addressesEnqueued.inc(admitted.length);
  await deps.frontier.record(obs);
  return obs.outcome;
}

/** One job per address (the job id de-duplicates live jobs for the same address and round). */
async function enqueueVisits(
  deps: WorkerDeps,
  crawlId: string,
  source: string,
  addrs: readonly { network: CrawlJob['network']; host: string; port: number; services?: bigint }[],
): Promise<void> {
  if (addrs.length === 0) return;
  await deps.crawlQueue.addBulk(
    addrs.map((a) => ({
      name: 'visit',
      // The advertised services go along (the visit plans v2 from them) when the entry had them.
      data:
        a.services === undefined
          ? { crawlId, network: a.network, host: a.host, port: a.port, source }
          : {
              crawlId,
              network: a.network,
              host: a.host,
              port: a.port,
              source,
              services: a.services.toString(),
            },
      opts: { jobId: jobIdFor(crawlId, a) },
    })),
  );
}

export interface RunningWorker {
  worker: Worker<CrawlJob>;
  /**
   * Stops taking jobs; waits up to shutdownGraceMs for in-flight visits, then aborts the rest
   * and hands their jobs back to the queue (nothing recorded), and closes.
   */
  close(): Promise<void>;
}

export function startWorker(deps: WorkerDeps, config: WorkerConfig): RunningWorker {
  // Three parameters: BullMQ passes an AbortSignal only to processors that declare it.
  const processor = async (job: Job<CrawlJob>, token?: string, signal?: AbortSignal) => {
    try {
      return await processCrawlJob(deps, job, signal);
    } catch (err) {
      if (err instanceof VisitAbortedError && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw err;
    }
  };
  const worker = new Worker<CrawlJob>(CRAWL_QUEUE, processor, {
    connection: deps.connection,
    prefix: PREFIX,
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: 10,
    ...JOB_RETENTION,
  });
  worker.on('failed', (job, err) => deps.logger.warn({ job: job?.id, err: err.message }, 'crawl job failed'));
  worker.on('error', (err) => deps.logger.error({ err: err.message }, 'worker error'));
  let closing: Promise<void> | undefined;
  return {
    worker,
    close() {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        // worker.close() stops fetching at once and resolves when the in-flight jobs are done.
        const graceful = worker.close();
        const expired = new Promise<'expired'>((r) => {
          timer = setTimeout(() => r('expired'), config.shutdownGraceMs);
        });
        if ((await Promise.race([graceful, expired])) === 'expired') {
          deps.logger.warn('shutdown grace expired: aborting in-flight visits and handing their jobs back');
          worker.cancelAllJobs('shutdown');
        }
        clearTimeout(timer);
        await graceful;
      })();
      return closing;
    },
  };
}
