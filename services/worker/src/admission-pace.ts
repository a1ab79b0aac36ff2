/**
 * At most this many of the targets of the jobs a worker fetched start in one turn of its event
 * loop. A round's first answers make thousands of jobs at once, and BullMQ hands them over in a
 * burst: starting every target there (its checks, its begin, its slot) ran for over 100 ms in
 * one turn, and every visit already connecting waited behind it (a round's slowest connects).
 */
export const ADMISSIONS_PER_TURN = 128;

const waiting: (() => void)[] = [];
/** Admissions made in this turn of the loop. */
let used = 0;
let scheduled = false;

function turn(): void {
  scheduled = false;
  const go = waiting.splice(0, ADMISSIONS_PER_TURN);
  used = go.length;
  for (const admit of go) admit();
  if (used > 0) schedule(); // to start the next turn's count, and its waiters
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(turn);
}

/**
 * Undefined when a target may start now (this turn has room and nobody waits: no hop for the
 * steady trickle of jobs); else a promise of the next turn that has room, first come first
 * served.
 */
export function admission(): Promise<void> | undefined {
  schedule();
  if (waiting.length === 0 && used < ADMISSIONS_PER_TURN) {
    used++;
    return undefined;
  }
  return new Promise<void>((resolve) => waiting.push(resolve));
}
