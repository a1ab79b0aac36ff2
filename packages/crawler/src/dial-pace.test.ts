import { describe, expect, it } from 'vitest';
import {
  DIALS_PER_TURN,
  DialPacer,
  MIN_CONNECT_SHARE,
  MIN_DIALS_PER_TURN,
  TARGET_TURN_MS,
} from './dial-pace.ts';

/** Runs the loop's turns, each longer than TARGET_TURN_MS, until `blocking` is cleared; counts them. */
function slowTurns() {
  const t = { turn: 0, blocking: true };
  const slowTurn = () => {
    t.turn++;
    const until = performance.now() + TARGET_TURN_MS + 10;
    while (performance.now() < until) {}
    if (t.blocking) setImmediate(slowTurn);
  };
  setImmediate(slowTurn);
  return t;
}

describe('dial pacing', () => {
  it('starts at most DIALS_PER_TURN dials per turn of the event loop, in order', async () => {
    const pacer = new DialPacer();
    const turnOf: number[] = [];
    let turn = 0;
    const ticking = setInterval(() => {}, 1); // keeps the loop turning while slots are pending
    const counter = () => {
      turn++;
      if (turn < 20) setImmediate(counter);
    };
    setImmediate(counter);
    const slots = Array.from({ length: 3 * DIALS_PER_TURN + 5 }, (_, i) =>
      pacer.slot().then(() => {
        turnOf[i] = turn;
      }),
    );
    await Promise.all(slots);
    clearInterval(ticking);
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(DIALS_PER_TURN);
    expect(perTurn.size).toBeGreaterThanOrEqual(4);
    expect(turnOf[0]).toBeGreaterThan(0); // even the first waits for setImmediate's phase
    expect([...turnOf]).toEqual([...turnOf].sort((a, b) => a - b)); // first come, first served
  });

  it('admits fewer dials per turn while the loop turns slowly, and the full budget again once idle', async () => {
    const pacer = new DialPacer();
    // Every turn of the loop is made longer than TARGET_TURN_MS (a loaded machine only makes it longer).
    const loop = slowTurns();
    const perTurn = new Map<number, number>();
    const started = () => perTurn.set(loop.turn, (perTurn.get(loop.turn) ?? 0) + 1);
    await Promise.all(Array.from({ length: 200 }, () => pacer.slot().then(started)));
    loop.blocking = false;
    const counts = [...perTurn.keys()].sort((a, b) => a - b).map((t) => perTurn.get(t) as number);
    // 64 in the first turn (nothing measured yet), then halved by each slow turn.
    expect(counts[0]).toBe(DIALS_PER_TURN);
    expect(counts[1]).toBe(DIALS_PER_TURN / 2);
    for (let i = 2; i < counts.length; i++)
      expect(counts[i] as number).toBeLessThanOrEqual(counts[i - 1] as number);
    expect(counts.at(-1)).toBe(MIN_DIALS_PER_TURN);
    // Idle once no dial waits: the next burst gets the whole budget in its first turn.
    await new Promise((r) => setTimeout(r, 20));
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 5) setImmediate(tick);
    };
    setImmediate(tick);
    const burstTurns = await Promise.all(
      Array.from({ length: DIALS_PER_TURN + 1 }, () => pacer.slot().then(() => turns)),
    );
    expect(new Set(burstTurns.slice(0, DIALS_PER_TURN)).size).toBe(1);
    expect(burstTurns.at(-1)).toBeGreaterThan(burstTurns[0] as number);
    await new Promise((r) => setTimeout(r, 20));
  });

  it('starts more dials a turn as fewer of them connect, for the same connections, up to DIALS_PER_TURN', async () => {
    const pacer = new DialPacer();
    const loop = slowTurns();
    const perTurn = new Map<number, number>();
    const started = () => perTurn.set(loop.turn, (perTurn.get(loop.turn) ?? 0) + 1);
    // Slow turns bring the budget down to MIN_DIALS_PER_TURN connections, all of which connect.
    await Promise.all(Array.from({ length: 200 }, () => pacer.slot().then(started)));
    const last = () => perTurn.get(Math.max(...perTurn.keys())) as number;
    expect(last()).toBe(MIN_DIALS_PER_TURN);
    // Then about half the dials connect: twice the dials for the same connections.
    for (let i = 0; i < 400; i++) pacer.connected(i % 2 === 0);
    expect(pacer.dialsPerTurn()).toBeGreaterThanOrEqual(2 * MIN_DIALS_PER_TURN - 1);
    expect(pacer.dialsPerTurn()).toBeLessThanOrEqual(2 * MIN_DIALS_PER_TURN + 1);
    // None connect: at most 1 / MIN_CONNECT_SHARE times as many.
    for (let i = 0; i < 400; i++) pacer.connected(false);
    expect(pacer.dialsPerTurn()).toBe(MIN_DIALS_PER_TURN / MIN_CONNECT_SHARE);
    perTurn.clear();
    await Promise.all(Array.from({ length: 200 }, () => pacer.slot().then(started)));
    expect(Math.max(...perTurn.values())).toBe(MIN_DIALS_PER_TURN / MIN_CONNECT_SHARE);
    expect(MIN_DIALS_PER_TURN / MIN_CONNECT_SHARE).toBeLessThanOrEqual(DIALS_PER_TURN);
    // All connect again: back to the connections' own budget.
    for (let i = 0; i < 400; i++) pacer.connected(true);
    perTurn.clear();
    await Promise.all(Array.from({ length: 100 }, () => pacer.slot().then(started)));
    expect(last()).toBe(MIN_DIALS_PER_TURN);
    loop.blocking = false;
  });

  it("starts waiting sessions before dials, each counted as a connection of the turn's budget", async () => {
    const pacer = new DialPacer();
    let turn = 0;
    const ticking = setInterval(() => {}, 1);
    const counter = () => {
      turn++;
      if (turn < 20) setImmediate(counter);
    };
    setImmediate(counter);
    const sessionTurns: number[] = [];
    const dialTurns: number[] = [];
    const SESSIONS = DIALS_PER_TURN - 10;
    // Half the dials connect lately: the 10 connections left in the first turn are 20 dials.
    for (let i = 0; i < 400; i++) pacer.connected(i % 2 === 0);
    const dials = Array.from({ length: 100 }, () => pacer.slot().then(() => dialTurns.push(turn)));
    const sessions = Array.from({ length: SESSIONS }, () =>
      pacer.session().then(() => sessionTurns.push(turn)),
    );
    await Promise.all([...dials, ...sessions]);
    clearInterval(ticking);
    const first = Math.min(...sessionTurns, ...dialTurns);
    expect(sessionTurns.every((t) => t === first)).toBe(true);
    const dialsFirst = dialTurns.filter((t) => t === first).length;
    expect(dialsFirst).toBeGreaterThanOrEqual(18);
    expect(dialsFirst).toBeLessThanOrEqual(22);
  });
});
