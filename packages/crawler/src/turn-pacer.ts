/**
 * Admits work a few pieces per turn of the event loop, at the pace the loop keeps up with.
 * A worker that fetches 1,000 jobs at once would otherwise run 1,000 connect() calls (or
 * Redis calls) back to back, and every timer and read of the visits already running would
 * wait behind them.
 */

/** At most this many start in one turn of the event loop. */
export const DIALS_PER_TURN = 64;
/** The fewest a turn may start: a loaded loop still makes progress. */
export const MIN_DIALS_PER_TURN = 2;
/**
 * A turn of the event loop longer than this halves what the next turns may start; shorter
 * turns raise it again by STEP up to DIALS_PER_TURN. Each dial is a visit whose answer will
 * cost the loop milliseconds of CPU (a key, an ECDH, 1,000 entries to take in), so on a
 * CPU-bound crawl 64 dials a turn queue up more work than the next turns can do: turns grow to
 * hundreds of ms, and every running visit's timers and reads wait behind them. Admitting dials
 * at the pace the loop keeps up with holds turns near this length; the CPU does the same work.
 */
export const TARGET_TURN_MS = 20;
const STEP = 4;

export class TurnPacer {
  private startedThisTurn = 0;
  private budget = DIALS_PER_TURN;
  private lastTurnAt = -1;
  private turnScheduled = false;
  private readonly waiting: (() => void)[] = [];
  private readonly turn = () => this.onTurn();

  /**
   * Resolves when this piece of work may start: at once while fewer than this turn's budget
   * started in this turn, else in a later turn (in setImmediate's phase), first come first served.
   */
  slot(): Promise<void> | undefined {
    if (this.startedThisTurn < this.budget && this.waiting.length === 0) {
      this.startedThisTurn++;
      this.nextTurn();
      return undefined;
    }
    const slot = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.nextTurn();
    return slot;
  }

  private nextTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.turn);
  }

  private onTurn(): void {
    this.turnScheduled = false;
    const now = performance.now();
    // Consecutive turns (one was scheduled from the last): its length is the loop's.
    if (this.lastTurnAt >= 0)
      this.budget =
        now - this.lastTurnAt > TARGET_TURN_MS
          ? Math.max(MIN_DIALS_PER_TURN, this.budget >> 1)
          : Math.min(DIALS_PER_TURN, this.budget + STEP);
    const go = this.waiting.splice(0, this.budget);
    this.startedThisTurn = go.length;
    for (const resolve of go) resolve();
    if (this.waiting.length > 0 || this.startedThisTurn > 0) {
      this.lastTurnAt = now;
      this.nextTurn();
    } else {
      // Idle: nothing waits. The next burst starts at the full budget and a fresh measure.
      this.lastTurnAt = -1;
      this.budget = DIALS_PER_TURN;
    }
  }
}

const dials = new TurnPacer();
const starts = new TurnPacer();

/**
 * Resolves when this dial may start (see TurnPacer). Call it before a visit's clock starts.
 * Dials start in setImmediate's phase, so their connections are seen at the next poll, not
 * after the rest of a busy poll phase.
 */
export function dialSlot(): Promise<void> | undefined {
  return dials.slot();
}

/**
 * Resolves when a visit may start its bookkeeping (the worker's Redis calls before the dial):
 * a job of hundreds of targets would otherwise run all their calls, and take all their
 * replies, in one turn of the loop. Paced apart from the dials, which wait behind nothing else.
 */
export function visitStartSlot(): Promise<void> | undefined {
  return starts.slot();
}
