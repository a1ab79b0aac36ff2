import { setMaxListeners } from 'node:events';
import { KNOBS, numberOf } from '@bitcrawl/config';
import type { Visitor } from '@bitcrawl/crawler';
import type { Observation } from '@bitcrawl/model';
import { classifyAddress, formatEndpoint, isCanonicalHost } from '@bitcrawl/protocol';
import {
  CRAWL_QUEUE,
  type CrawlJob,
  type CrawlTarget,
  crawlJobSchema,
  type Frontier,
  ingestBacklog,
  JOB_RETENTION,
  PREFIX,
  VISIT_BATCH,
} from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import { type Job, type Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { admission } from './admission-pace.ts';
import { commitVisit, enqueueAdmitted, type VisitCommitter } from './committer.ts';
import { type SessionSlot, VisitAbortedError, VisitSlots } from './visit-slots.ts';

/**
 * A killed worker's active jobs return once their lock lapses (at most LOCK_DURATION_MS after
 * its last renewal) and a stalled check that finds them lockless runs (checks every
 * STALLED_INTERVAL_MS; a job must have been seen active by one check first): with 10 s and 5 s,
 * within about 20 s. Locks are renewed every quarter to half duration, in one Redis call for all
 * of a worker's jobs, so the lock must outlast the longest stall of the worker's event loop plus
 * the queue of Redis calls ahead of that renewal. 5 s (2.5 s of slack) was measured too short: at
 * 2,000 visits on a machine loaded 5-10x, thousands of locks lapsed per round (`Missing lock`),
 * and each lapsed job ran twice. 10 s gives 5-7.5 s of slack; the old 30 s / 30 s made a killed
 * worker cost a round up to a minute.
 */
export const DEFAULT_LOCK_DURATION_MS = KNOBS.lockDurationMs.default;
export const DEFAULT_STALLED_INTERVAL_MS = KNOBS.stalledIntervalMs.default;

export const workerConfigSchema = z.object({
  /** Sessions at once: visits whose dial connected. */
  concurrency: numberOf(KNOBS.concurrency),
  /** Dials not yet connected at once, beyond `concurrency` (VisitSlots). */
  pendingDials: numberOf(KNOBS.pendingDials),
  /** Longer than the longest visit is not needed (locks are renewed), but a dead worker's jobs wait this long. */
  lockDurationMs: numberOf(KNOBS.lockDurationMs),
  stalledIntervalMs: numberOf(KNOBS.stalledIntervalMs),
  /** On close, how long in-flight visits may finish before they are aborted and handed back. */
  shutdownGraceMs: numberOf(KNOBS.shutdownGraceMs),
  /**
   * Backpressure: while more observations than this wait in the stream for an ingester, the
   * worker starts no new visits (those running finish), so a slow ClickHouse cannot make Redis
   * hold an unbounded stream. 0: never throttle.
   */
  maxIngestBacklog: numberOf(KNOBS.maxIngestBacklog),
  /** Commits run on a commit thread (commit-thread.ts) when the engine is given its script. */
  commitThread: z.boolean().default(KNOBS.commitThread.default),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

export interface WorkerDeps {
  connection: Redis;
  crawlQueue: Queue<CrawlJob>;
  frontier: Frontier;
  /** Records each visit and enqueues its admissions: on a commit thread; by default, on this loop. */
  committer?: VisitCommitter;
  visitor: Visitor;
  logger: Logger;
  metrics?: Metrics;
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

/** Abort listeners one visit may hold on its job's signal at once (slot, visit, dial, session). */
const LISTENERS_PER_VISIT = 4;

/**
 * One crawl job: visits each of its addresses (at once, each in one of `slots` when given) and
 * returns their outcomes. Errors rank by what they ask of BullMQ: an abort (shutdown) hands the
 * whole job back, an infrastructure error retries it, a bad address fails it; in each case
 * after its other visits ended, and the addresses recorded are skipped when it runs again.
 */
export async function processCrawlJob(
  deps: WorkerDeps,
  job: Job<CrawlJob>,
  signal?: AbortSignal,
  slots?: VisitSlots,
): Promise<string[]> {
  const parsed = crawlJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad crawl job ${job.id}: ${parsed.error.message}`);
  const { crawlId, source, targets } = parsed.data;
  // Each visit listens for the shutdown (the wait for a slot, the visit, its dial and session).
  if (signal) setMaxListeners(Math.max(10, LISTENERS_PER_VISIT * targets.length), signal);
  const visit = (t: CrawlTarget, session?: SessionSlot) =>
    processTarget(deps, job.id, crawlId, source, t, signal, session);
  slots?.expect(targets.length);
  const settled = await Promise.allSettled(
    targets.map(async (t) => {
      const turn = admission();
      if (turn) await turn;
      return slots ? slots.run(t.host, signal, (session) => visit(t, session)) : visit(t);
    }),
  );
  const errors = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const rank = (e: unknown) => (e instanceof VisitAbortedError ? 0 : e instanceof UnrecoverableError ? 2 : 1);
  if (errors.length > 0) throw errors.sort((x, y) => rank(x) - rank(y))[0];
  return settled.map((r) => (r as PromiseFulfilledResult<string>).value);
}

/**
 * One address of a job: begin (is it recorded already?), visit, then commit (committer.ts):
 * record the observation and admit its answer in one atomic frontier call, then enqueue what
 * was admitted. A job that died between commit and enqueue hands them over when redelivered
 * (begin returns what the address's outbox still holds).
 * An address already recorded only does that hand-over. Peers that fail are normal results;
 * only Redis/infrastructure errors throw and are retried by BullMQ. If `signal` aborts
 * (shutdown), throws VisitAbortedError before anything is written.
 */
async function processTarget(
  deps: WorkerDeps,
  jobId: string | undefined,
  crawlId: string,
  from: string | undefined,
  { network, host, port, services }: CrawlTarget,
  signal: AbortSignal | undefined,
  session: SessionSlot | undefined,
): Promise<string> {
  // The frontier keys addresses by their bytes: a host that is not its network's canonical
  // literal cannot be keyed (nor dialed), and retrying will not change that.
  if (!isCanonicalHost(network, host)) throw new UnrecoverableError(`bad crawl job ${jobId}: host ${host}`);
  const target = { network, host, port };
  const source = formatEndpoint(target);
  // Seeds were named by the operator (--seed, DNS seeds): gossip rules (bad ports, the per-IP
  // cap) do not apply to them. Nor does the per-IP cap to loopback, dialed only with
  // ALLOW_PRIVATE: a test network on this machine (the simnet's IPv6 nodes all live on ::1).
  const explicit = from === 'seed';
  const claim = !explicit && classifyAddress(network, host) !== 'loopback';
  const begun = await deps.frontier.begin(crawlId, target, claim);
  if (begun.recorded) {
    await enqueueAdmitted(deps, crawlId, target, begun.enqueue);
    return 'already-recorded';
  }
  const refused = begun.claimed
    ? undefined
    : {
        rule: 'per_ip' as const,
        reason: `more than ${deps.frontier.caps.perHost} endpoints of ${host} this round (MAX_ENDPOINTS_PER_IP)`,
      };
  const obs = await untilAborted(
    deps.visitor.visit(services === undefined ? target : { ...target, services: BigInt(services) }, {
      crawlId,
      explicit,
      ...(refused ? { refused } : {}),
      ...(signal ? { signal } : {}),
      ...(session ? { connected: session } : {}),
    }),
    signal,
    source,
  );
  const committed = await (deps.committer ? deps.committer.commit(obs) : commitVisit(deps, obs));
  if (committed.recorded) deps.metrics?.addressesEnqueued.inc(committed.enqueued);
  if (committed.capped) deps.metrics?.dialRefused.inc({ rule: 'per_source' }, committed.capped);
  return committed.recorded ? obs.outcome : 'already-recorded';
}

/**
 * Checks the ingest backlog every second; past `maxIngestBacklog` the worker takes no new jobs
 * (BullMQ's pause without waiting: the visits running finish and record) until the backlog is
 * back under half of it.
 */
function watchIngestBacklog(worker: Worker<CrawlJob>, deps: WorkerDeps, config: WorkerConfig) {
  let throttled = false;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const backlog = await ingestBacklog(deps.connection);
      if (!throttled && backlog > config.maxIngestBacklog) {
        throttled = true;
        await worker.pause(true);
        deps.logger.warn(
          { backlog, max: config.maxIngestBacklog },
          'ingest backlog high: taking no new visits',
        );
      } else if (throttled && backlog <= config.maxIngestBacklog / 2) {
        throttled = false;
        worker.resume();
        deps.logger.info({ backlog }, 'ingest backlog down: visiting again');
      }
      deps.metrics?.workerThrottled.set(throttled ? 1 : 0);
    } catch {
      // Redis unreachable: BullMQ reports it; the next tick tries again.
    } finally {
      busy = false;
    }
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), throttled: () => throttled };
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
  let backpressure: ReturnType<typeof watchIngestBacklog> | undefined;
  let fetching: Worker<CrawlJob> | undefined; // the worker, once made
  // BullMQ fetches jobs one after another while fewer than its concurrency are held, and
  // starts none until it stops, so a concurrency of `concurrency` jobs (of up to VISIT_BATCH
  // addresses) fetched a whole round into one process at once: all 60,000 visits of shape M,
  // ~100 MB of heap, none left for other workers. So it may fetch only as many jobs more as
  // fit, full, in two sets of slots' worth of visits (running and waiting), counting each
  // job's visits from its start; it fetches again as they end.
  let activeJobs = 0;
  const jobsToHold = () =>
    Math.max(1, activeJobs + Math.ceil(Math.max(0, 2 * slots.size - slots.held) / VISIT_BATCH));
  const admit = () => {
    if (fetching) fetching.concurrency = jobsToHold();
  };
  const slots = new VisitSlots(config.concurrency, config.pendingDials, admit);
  // Three parameters: BullMQ passes an AbortSignal only to processors that declare it.
  const processor = async (job: Job<CrawlJob>, token?: string, signal?: AbortSignal) => {
    // A job fetched just as the worker paused (its blocking fetch was under way) waits too.
    while (backpressure?.throttled() && !signal?.aborted) await new Promise((r) => setTimeout(r, 250));
    activeJobs++;
    try {
      return await processCrawlJob(deps, job, signal, slots);
    } catch (err) {
      if (err instanceof VisitAbortedError && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw err;
    } finally {
      activeJobs--;
      admit();
    }
  };
  const worker = new Worker<CrawlJob>(CRAWL_QUEUE, processor, {
    connection: deps.connection,
    prefix: PREFIX,
    concurrency: jobsToHold(),
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: 10,
    ...JOB_RETENTION,
  });
  fetching = worker;
  worker.on('failed', (job, err) => deps.logger.warn({ job: job?.id, err: err.message }, 'crawl job failed'));
  backpressure = config.maxIngestBacklog > 0 ? watchIngestBacklog(worker, deps, config) : undefined;
  worker.on('error', (err) => deps.logger.error({ err: err.message }, 'worker error'));
  let closing: Promise<void> | undefined;
  return {
    worker,
    close() {
      closing ??= (async () => {
        backpressure?.stop();
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
