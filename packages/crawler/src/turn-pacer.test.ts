import { describe, expect, it } from 'vitest';
import {
  DIALS_PER_TURN,
  dialSlot,
  MIN_DIALS_PER_TURN,
  TARGET_TURN_MS,
  TurnPacer,
  visitStartSlot,
} from './turn-pacer.ts';

describe('TurnPacer', () => {
  it('starts at most DIALS_PER_TURN per turn of the event loop, in order', async () => {
    const pacer = new TurnPacer();
    const turnOf: number[] = [];
    let turn = 0;
    const ticking = setInterval(() => {}, 1); // keeps the loop turning while slots are pending
    const counter = () => {
      turn++;
      if (turn < 20) setImmediate(counter);
    };
    setImmediate(counter);
    const slots = Array.from({ length: 3 * DIALS_PER_TURN + 5 }, (_, i) => {
      const s = pacer.slot();
      if (!s) {
        turnOf[i] = turn;
        return Promise.resolve();
      }
      return s.then(() => {
        turnOf[i] = turn;
      });
    });
    await Promise.all(slots);
    clearInterval(ticking);
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(DIALS_PER_TURN);
    expect(perTurn.size).toBeGreaterThanOrEqual(4);
    expect([...turnOf]).toEqual([...turnOf].sort((a, b) => a - b)); // first come, first served
  });

  it('admits fewer per turn while the loop turns slowly, and the full budget again once idle', async () => {
    const pacer = new TurnPacer();
    // Every turn of the loop is made longer than TARGET_TURN_MS (a loaded machine only makes it longer).
    let turn = 0;
    let blocking = true;
    const slowTurn = () => {
      turn++;
      const until = performance.now() + TARGET_TURN_MS + 10;
      while (performance.now() < until) {}
      if (blocking) setImmediate(slowTurn);
    };
    setImmediate(slowTurn);
    const perTurn = new Map<number, number>();
    const started = () => perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    await Promise.all(
      Array.from({ length: 200 }, () => {
        const s = pacer.slot();
        if (!s) return started();
        return s.then(started);
      }),
    );
    blocking = false;
    const counts = [...perTurn.keys()].sort((a, b) => a - b).map((t) => perTurn.get(t) as number);
    // 64 at once, 64 in the first turn (nothing measured yet), then halved by each slow turn.
    expect(counts.slice(0, 2)).toEqual([DIALS_PER_TURN, DIALS_PER_TURN]);
    for (let i = 3; i < counts.length; i++)
      expect(counts[i] as number).toBeLessThanOrEqual(counts[i - 1] as number);
    expect(counts.at(-1)).toBe(MIN_DIALS_PER_TURN);
    // Idle once no dial waits: the next burst gets the whole budget at once.
    await new Promise((r) => setTimeout(r, 20));
    const burst = Array.from({ length: DIALS_PER_TURN }, () => pacer.slot());
    expect(burst.every((s) => s === undefined)).toBe(true);
    expect(pacer.slot()).toBeInstanceOf(Promise);
    await new Promise((r) => setTimeout(r, 20));
  });
});

describe('the dial and visit-start pacers', () => {
  it('keep apart: visit starts waiting for their turn do not hold up a dial', async () => {
    const starts = Array.from({ length: 3 * DIALS_PER_TURN }, () => visitStartSlot());
    expect(starts.filter((s) => s !== undefined).length).toBe(2 * DIALS_PER_TURN);
    expect(dialSlot()).toBeUndefined();
    await Promise.all(starts);
  });
});
