/** A visit cut short by shutdown: its job goes back to the queue and nothing is recorded. */
export class VisitAbortedError extends Error {
  readonly code = 'VISIT_ABORTED';
  constructor(target: string) {
    super(`visit of ${target} aborted by shutdown`);
    this.name = 'VisitAbortedError';
  }
}

type Taken = 'taken' | 'aborted' | 'timed-out';

interface Waiter {
  resolve(taken: Taken): void;
  /** Set once the waiter's signal aborted: a freed slot skips it. */
  gone: boolean;
}

/** `size` slots handed out first come first served; a waiter whose signal aborts leaves the line. */
class FifoPool {
  free: number;
  /** Waiters still in line (their signal not aborted). */
  waiting = 0;
  private waiters: Waiter[] = [];
  private head = 0;

  constructor(
    readonly size: number,
    private readonly changed: () => void,
  ) {
    this.free = size;
  }

  /**
   * 'taken' at once, or a promise of how the wait ended: 'taken', 'aborted' (`signal`), or
   * 'timed-out' (after `maxWaitMs`, when given). Only 'taken' holds a slot to give back.
   */
  take(signal: AbortSignal | undefined, maxWaitMs?: number): 'taken' | Promise<Taken> {
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.free > 0) {
      this.free--;
      return 'taken';
    }
    return new Promise<Taken>((resolve) => {
      const leave = (why: Taken) => {
        if (waiter.gone) return;
        waiter.resolve(why);
        waiter.gone = true;
        this.waiting--;
        this.changed();
      };
      const onAbort = () => leave('aborted');
      const timer = maxWaitMs === undefined ? undefined : setTimeout(() => leave('timed-out'), maxWaitMs);
      const waiter: Waiter = {
        gone: false,
        resolve: (taken) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(taken);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.waiting++;
      this.changed();
    });
  }

  /** Hands the slot to the longest waiter still waiting, or frees it. */
  give(): void {
    while (this.head < this.waiters.length) {
      const next = this.waiters[this.head++] as Waiter;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      if (!next.gone) {
        this.waiting--;
        next.gone = true;
        next.resolve('taken');
        this.changed();
        return;
      }
    }
    this.free++;
    this.changed();
  }
}

/**
 * Called by a visit once its connection is up, before it sends a byte: resolves true once the
 * visit may speak (at once on later calls, e.g. a v1 fallback's second connection), false if
 * the shutdown came first.
 */
export type SessionSlot = () => true | Promise<boolean>;

/**
 * The longest a connected visit waits for a session slot; then it starts without one. Its peer
 * waits for our first message, but not for ever (Core drops a connection that sends no version
 * within 60 s), and sessions that hold their slots long (peers that never answer getaddr, up to
 * its 75 s deadline) cost little CPU: past this wait, the session count may exceed CONCURRENCY
 * (sockets still bound it) rather than record live peers as closed.
 */
export const MAX_SESSION_WAIT_MS = 5_000;

/**
 * The worker's visit slots. BullMQ's concurrency counts jobs, and a job visits up to
 * VISIT_BATCH addresses, so each visit takes one of the worker's sockets, first come first
 * served, and, once its dial connects, one of `sessions` session slots. Most gossiped addresses
 * never answer a dial: such a dial holds a socket and a timer for the whole connect timeout, but
 * no CPU and almost no memory, while a session costs both. So `sessions` (CONCURRENCY) bounds
 * the work, and `pendingDials` more sockets (PENDING_DIALS) keep dialing while every session
 * slot is busy: on a round whose addresses are mostly dead, slots held by unanswered dials no
 * longer hold the round back. A connected visit that finds every session slot busy waits for
 * one before it speaks (its peer waits for our first message, and its timers start after), for
 * at most MAX_SESSION_WAIT_MS.
 */
export class VisitSlots {
  /** Sockets: sessions plus pending dials. */
  readonly size: number;
  private readonly sockets: FifoPool;
  private readonly sessions: FifoPool;
  /** Visits announced by `expect` that have not yet asked for a slot (e.g. paced before it). */
  private expected = 0;

  /** `changed` is called whenever `held` changes. */
  constructor(
    sessions: number,
    pendingDials = 0,
    private readonly changed: () => void = () => {},
    private readonly maxSessionWaitMs = MAX_SESSION_WAIT_MS,
  ) {
    this.size = sessions + pendingDials;
    this.sockets = new FifoPool(this.size, changed);
    this.sessions = new FifoPool(sessions, () => {});
  }

  /** Visits running now (dialing or in a session). */
  get busy(): number {
    return this.size - this.sockets.free;
  }

  /**
   * Visits whose connection is up and that hold a session slot or wait for one (not those that
   * started without one after MAX_SESSION_WAIT_MS).
   */
  get connected(): number {
    return this.sessions.size - this.sessions.free + this.sessions.waiting;
  }

  /** Visits waiting for a socket (their signal not aborted). */
  get waiting(): number {
    return this.sockets.waiting;
  }

  /** Visits held: running, waiting for a socket, or expected to ask for one. */
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
   * Runs `visit` with a socket, waiting for one if none is free; the visit calls its
   * SessionSlot once connected. Rejects with VisitAbortedError, without running it, when
   * `signal` aborts while it waits for the socket.
   */
  async run<T>(
    target: string,
    signal: AbortSignal | undefined,
    visit: (session: SessionSlot) => Promise<T>,
  ): Promise<T> {
    if (this.expected > 0) this.expected--; // held still: running or waiting from here
    const socket = this.sockets.take(signal);
    if (socket !== 'taken' && (await socket) !== 'taken') throw new VisitAbortedError(target);
    let session: Taken | Promise<Taken> | undefined;
    let asked: true | Promise<boolean> | undefined;
    try {
      return await visit(() => {
        if (!asked) {
          session = this.sessions.take(signal, this.maxSessionWaitMs);
          asked =
            session === 'taken' ||
            session.then((how) => {
              session = how;
              return how !== 'aborted'; // 'timed-out': it speaks without a slot
            });
        }
        return asked;
      });
    } finally {
      // The slot it holds goes back; one still coming (the visit ended first) goes back when it comes.
      if (session instanceof Promise) void session.then((how) => how === 'taken' && this.sessions.give());
      else if (session === 'taken') this.sessions.give();
      this.sockets.give();
    }
  }
}
