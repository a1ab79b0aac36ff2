import { createCrawlQueue, currentRound, Frontier, ingestBacklog, ROUNDS_ENDED_KEY } from '@bitcrawl/queue';
import { Redis } from 'ioredis';

/**
 * What `stack --once` reads of its round while the one-shot seeder (CRAWL_ID) runs it: the
 * seeder owns the round's end (the watch, lost jobs given again, the note for the ingester);
 * the stack only shows its progress, tells a seeder that died mid-round (restarted: it resumes
 * the round) from one that ended it, and waits for the ingester's `rounds` rows.
 */
export class OnceRound {
  private readonly conn: Redis;
  private readonly frontier: Frontier;
  private readonly queue: ReturnType<typeof createCrawlQueue>;

  constructor(
    redisUrl: string,
    readonly crawlId: string,
    private readonly print: (s: string) => void,
  ) {
    this.conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.frontier = new Frontier(this.conn);
    this.queue = createCrawlQueue(this.conn);
  }

  /** A progress line a second until `until` settles; its value. */
  async progressUntil<T>(until: Promise<T>): Promise<T> {
    let settled = false;
    const done = until.finally(() => {
      settled = true;
    });
    for (;;) {
      const tick = await Promise.race([done.then(() => false), sleep(1000).then(() => true)]);
      if (!tick || settled) return done;
      const p = await this.frontier.progress(this.crawlId);
      const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const queued = Object.values(c).reduce((a, b) => a + b, 0);
      const backlog = await ingestBacklog(this.conn);
      this.print(
        `round ${this.crawlId}: visited ${p.visited}/${p.seen}, reachable ${p.ok}, queued ${queued}, ingest backlog ${backlog}`,
      );
    }
  }

  /** The seeder left the round running (it died mid-round): the round is not over. */
  async stillRunning(): Promise<boolean> {
    return (await currentRound(this.conn))?.crawlId === this.crawlId;
  }

  /**
   * Waits for the ingester to write the rows of the round the seeder noted, at most
   * ROUND_NOTE_WAIT_MS (a stuck store must not keep the stack). Nothing when it never started.
   */
  async rowsWritten(): Promise<void> {
    if ((await this.frontier.progress(this.crawlId)).startedAt === null) return;
    const end = Date.now() + ROUND_NOTE_WAIT_MS;
    while ((await this.conn.llen(ROUNDS_ENDED_KEY)) > 0) {
      if (Date.now() > end) {
        this.print(
          `round ${this.crawlId}: the ingester did not write its rounds rows within ${ROUND_NOTE_WAIT_MS / 1000} s; it will when it runs again`,
        );
        return;
      }
      await sleep(250);
    }
    this.print(`round ${this.crawlId}: rounds rows written`);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.conn.disconnect();
  }
}

const ROUND_NOTE_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
