/**
 * A budget for the bytes of unfinished peer frames, shared by every session of one crawl engine.
 * A frame parser bounds what one peer can make us hold (one frame, at most the declared length),
 * but not what thousands of peers hold at once: each can send all but the last byte of a
 * 1,000,000-byte frame and wait. Sessions account what their parser holds; a frame declaring more
 * than `largeFrame` bytes must be admitted first and reserves its whole declared length, so past
 * the budget no new large frame is accepted. Should small frames still push the total over the
 * limit, the largest holders are shed first (their visits end). Pure accounting: no I/O, no timers.
 */

/** Default budget of one worker process (all its engines together), as the MAX_BUFFERED_BYTES knob says. */
export { DEFAULT_MAX_BUFFERED_BYTES } from '@bitcrawl/config/defaults';

/** Frames whose payload is at most this are not admitted, only accounted (handshake frames, answers). */
export const DEFAULT_LARGE_FRAME = 64 * 1024;

export interface BudgetEvents {
  /** The total held changed (for a gauge). */
  onChange?: (used: number) => void;
  /** A visit ended by the budget: 'shed' (largest buffer dropped) or 'refused' (large frame not accepted). */
  onEnd?: (how: 'shed' | 'refused') => void;
}

export class ByteBudget {
  /** Bytes held or reserved by all open accounts. */
  used = 0;
  private readonly holding = new Set<BudgetAccount>();

  constructor(
    readonly limit: number,
    readonly largeFrame = DEFAULT_LARGE_FRAME,
    private readonly events: BudgetEvents = {},
  ) {
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`byte budget must be a whole number, got ${limit}`);
  }

  /** An account for one session; `shed` ends that session (called at most once). */
  open(shed: (reason: string) => void): BudgetAccount {
    return new BudgetAccount(this, shed);
  }

  /** @internal */
  adjust(account: BudgetAccount, from: number, to: number): void {
    this.used += to - from;
    if (to > 0) this.holding.add(account);
    else this.holding.delete(account);
    this.events.onChange?.(this.used);
    if (this.used > this.limit) this.shedLargest();
  }

  /** @internal */
  refused(): void {
    this.events.onEnd?.('refused');
  }

  /** Ends the largest holders until the total fits again. */
  private shedLargest(): void {
    while (this.used > this.limit && this.holding.size > 0) {
      let largest: BudgetAccount | undefined;
      for (const a of this.holding) if (!largest || a.bytes > largest.bytes) largest = a;
      const victim = largest as BudgetAccount;
      const reason =
        `BYTE_BUDGET: shed ${victim.bytes} buffered bytes, the largest of ${this.holding.size} ` +
        `(${this.used} bytes held, budget ${this.limit})`;
      victim.close();
      this.events.onEnd?.('shed');
      victim.shedBy(reason);
    }
  }
}

export class BudgetAccount {
  /** What this session holds or has reserved now. */
  bytes = 0;
  /** Stream offset of the large frame this account was admitted for (-1: none). */
  private admitted = -1;
  private closed = false;

  constructor(
    private readonly budget: ByteBudget,
    private readonly shed: (reason: string) => void,
  ) {}

  /**
   * Accounts the parser's state after a chunk: the frame being assembled starts at stream offset
   * `start` and declares `length` payload bytes (-1: no header read yet), and the parser has
   * allocated `held` bytes for it. Returns why the visit must end when a large frame does not fit.
   */
  update(start: number, length: number, held: number): string | undefined {
    if (this.closed) return undefined;
    if (length > this.budget.largeFrame) {
      if (this.admitted !== start) {
        const others = this.budget.used - this.bytes;
        if (others + length > this.budget.limit) {
          this.close();
          this.budget.refused();
          return (
            `BYTE_BUDGET: a ${length}-byte frame not accepted ` +
            `(${others} bytes of peer data held, budget ${this.budget.limit})`
          );
        }
        this.admitted = start;
      }
      this.set(Math.max(held, length));
      return undefined;
    }
    this.admitted = -1;
    this.set(held);
    return undefined;
  }

  /** Releases everything this account holds; later updates are ignored. */
  close(): void {
    if (this.closed) return;
    this.set(0);
    this.closed = true;
  }

  /** @internal */
  shedBy(reason: string): void {
    this.shed(reason);
  }

  private set(n: number): void {
    if (n === this.bytes) return;
    const from = this.bytes;
    this.bytes = n;
    this.budget.adjust(this, from, n);
  }
}
