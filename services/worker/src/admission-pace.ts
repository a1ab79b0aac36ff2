/**
 * At most this many of the targets of the jobs a worker fetched start in one turn of its event
 * loop. A round's first answers make thousands of jobs at once, and BullMQ hands them over in a
 * burst: starting every target there (its checks, its begin, its slot) ran for over 100 ms in
 * one turn, and every visit already connecting waited behind it (a round's slowest connects).
 */
export const ADMISSIONS_PER_TURN = 128;

const waiting: (() => void)[] = [];
let scheduled = false;

function turn(): void {
  scheduled = false;
  for (const go of waiting.splice(0, ADMISSIONS_PER_TURN)) go();
  if (waiting.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(turn);
}

/** Resolves in the next turn of the event loop that has room, first come first served. */
export function admissionTurn(): Promise<void> {
  const turnTaken = new Promise<void>((resolve) => waiting.push(resolve));
  schedule();
  return turnTaken;
}
