/** A visit cut short by shutdown: its job goes back to the queue and nothing is recorded. */
export class VisitAbortedError extends Error {
  readonly code = 'VISIT_ABORTED';
  constructor(target: string) {
    super(`visit of ${target} aborted by shutdown`);
    this.name = 'VisitAbortedError';
  }
}

interface Waiter {
  resolve(): void;
  /** Set once the waiter's signal aborted: a freed slot skips it. */
  gone: boolean;
}

/**
 * The worker's visit slots. BullMQ's concurrency counts jobs, and a job visits up to
 * VISIT_BATCH addresses, so visits take one of `size` slots each, first come first served:
 * `concurrency` stays the number of sessions (and sockets) open at once, however the
 * addresses are grouped into jobs.
 */
export class VisitSlots {
  private free: number;
  private waiters: Waiter[] = [];
  private head = 0;
  /** Visits waiting for a slot (their signal not aborted). */
  waiting = 0;
  /** Visits announced by `expect` that have not yet asked for a slot (e.g. paced before it). */
  private expected = 0;

  /** `changed` is called whenever `held` changes. */
  constructor(
    readonly size: number,
    private readonly changed: () => void = () => {},
  ) {
    this.free = size;
  }

  /** Visits running now. */
  get busy(): number {
    return this.size - this.free;
  }

  /** Visits held: running, waiting for a slot, or expected to ask for one. */
  get held(): number {
    return this.busy + this.waiting + this.expected;
  }

  /**
   * Announces `n` visits that will each call `run` once (a job's targets, as it starts): they
   * count in `held` from now, not only once they reach `run`.
   */
  expect(n: number): void {
    this.expected += n;
    this.changed();
  }

  /**
   * Runs `visit` in a slot, waiting for one if none is free. Rejects with VisitAbortedError,
   * without running it, when `signal` aborts while it waits.
   */
  async run<T>(target: string, signal: AbortSignal | undefined, visit: () => Promise<T>): Promise<T> {
    if (this.expected > 0) this.expected--; // held still: running or waiting from here
    await this.take(target, signal);
    try {
      return await visit();
    } finally {
      this.give();
    }
  }

  private take(target: string, signal: AbortSignal | undefined): Promise<void> | void {
    if (signal?.aborted) throw new VisitAbortedError(target);
    if (this.free > 0) {
      this.free--;
      return;
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        waiter.gone = true;
        this.waiting--;
        this.changed();
        reject(new VisitAbortedError(target));
      };
      const waiter: Waiter = {
        gone: false,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.waiting++;
      this.changed();
    });
  }

  /** Hands the slot to the longest waiter still waiting, or frees it. */
  private give(): void {
    while (this.head < this.waiters.length) {
      const next = this.waiters[this.head++] as Waiter;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      if (!next.gone) {
        this.waiting--;
        next.resolve();
        this.changed();
        return;
      }
    }
    this.free++;
    this.changed();
  }
}
