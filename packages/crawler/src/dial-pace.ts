/**
 * At most this many dials start in one turn of the event loop. A worker that fetches 1,000
 * jobs at once would otherwise run 1,000 connect() calls back to back, and every timer and
 * read of the visits already running would wait behind them.
 */
export const DIALS_PER_TURN = 64;
/** The fewest connections a turn may expect to make: a loaded loop still makes progress. */
export const MIN_DIALS_PER_TURN = 2;
/**
 * A turn of the event loop longer than this halves the connections the next turns may expect
 * to make; shorter turns raise it again by DIALS_STEP up to DIALS_PER_TURN. Each connection is
 * a visit whose answer will cost the loop milliseconds of CPU (a key, an ECDH, 1,000 entries to
 * take in), so on a CPU-bound crawl 64 a turn queue up more work than the next turns can do:
 * turns grow to hundreds of ms, and every running visit's timers and reads wait behind them.
 * Admitting them at the pace the loop keeps up with holds turns near this length. 8 ms was
 * tried with the connection-counting budget and measured no better (alternated on shape M).
 */
export const TARGET_TURN_MS = 10;
const DIALS_STEP = 4;
/**
 * The share of dials that connect is followed over about this many outcomes (an exponential
 * average), and taken to be at least MIN_CONNECT_SHARE.
 */
const CONNECT_SHARE_SPAN = 32;
export const MIN_CONNECT_SHARE = 1 / 16;

/**
 * Paces dials by the work they bring. Only a dial that connects costs the loop more than a
 * connect() and a timer: most gossiped addresses refuse or never answer, and the CPU goes to
 * the peers that answer. So the budget counts connections, and a turn starts as many dials as
 * are expected to make that many at the share that connects lately (at most DIALS_PER_TURN).
 * Pacing every dial alike held refused and unanswered dials back behind the answers: on a round
 * of 60,000 addresses, 44,000 dead, each visit waited ~2 s for its dial.
 */
export class DialPacer {
  private budget = DIALS_PER_TURN;
  private connectShare = 1;
  private lastTurnAt = -1;
  private turnScheduled = false;
  private readonly waiting: (() => void)[] = [];
  /** Connected visits about to start a session (they waited for a session slot). */
  private readonly sessions: (() => void)[] = [];

  /**
   * Resolves when this dial may start: in the next turn of the event loop that has budget
   * left, first come first served, always in setImmediate's phase. A dial started there has
   * its connection seen at the very next poll; one started inline, in the middle of a busy
   * poll phase, would be timed across the rest of that phase. Call it before a visit's clock
   * starts.
   */
  slot(): Promise<void> {
    const slot = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.nextTurn();
    return slot;
  }

  /**
   * Resolves when a connected visit that waited for a session slot may start its session: a
   * connection the turn's budget counts as such (before any dial), since a session slot freed
   * by one visit's end would otherwise start the next at once, however long the turns run.
   */
  session(): Promise<void> {
    const go = new Promise<void>((resolve) => this.sessions.push(resolve));
    this.nextTurn();
    return go;
  }

  /** Tells the pacer whether a dial it let start connected. */
  connected(ok: boolean): void {
    this.connectShare += ((ok ? 1 : 0) - this.connectShare) / CONNECT_SHARE_SPAN;
  }

  /** How many dials a turn starts with `connections` of its budget left. */
  dialsPerTurn(connections = this.budget): number {
    const share = Math.max(MIN_CONNECT_SHARE, this.connectShare);
    return Math.min(DIALS_PER_TURN, Math.round(connections / share));
  }

  private nextTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      const now = performance.now();
      // Consecutive turns (one was scheduled from the last): its length is the loop's.
      if (this.lastTurnAt >= 0)
        this.budget =
          now - this.lastTurnAt > TARGET_TURN_MS
            ? Math.max(MIN_DIALS_PER_TURN, this.budget >> 1)
            : Math.min(DIALS_PER_TURN, this.budget + DIALS_STEP);
      const sessions = this.sessions.splice(0, this.budget);
      // Dials get what is left, and at least one a turn: dead addresses cost the loop little.
      const go = this.waiting.splice(0, Math.max(1, this.dialsPerTurn(this.budget - sessions.length)));
      for (const resolve of sessions) resolve();
      for (const resolve of go) resolve();
      if (this.waiting.length > 0 || this.sessions.length > 0 || go.length > 0 || sessions.length > 0) {
        this.lastTurnAt = now;
        this.nextTurn();
      } else {
        // Idle: no dial waits. The next burst starts at the full budget and a fresh measure.
        this.lastTurnAt = -1;
        this.budget = DIALS_PER_TURN;
      }
    });
  }
}

/** The process's pacer: one event loop, one pace (each worker thread loads its own). */
export const dialPacer = new DialPacer();

/** A slot of the process's pacer (DialPacer.slot). */
export const dialSlot = (): Promise<void> => dialPacer.slot();

/** A session start of the process's pacer (DialPacer.session). */
export const sessionStart = (): Promise<void> => dialPacer.session();
