import { describe, expect, it } from 'vitest';
import { VisitSlots } from './visit-slots.ts';

/** A visit the test ends when it likes. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((r) => {
    open = r;
  });
  return { open, done };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('visit slots', () => {
  it('run at most `size` visits at once, starting the waiting ones first come first served', async () => {
    const slots = new VisitSlots(2);
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, gate);
    const runs = gates.map((g, i) =>
      slots.run(`t${i}`, undefined, async () => {
        started.push(i);
        await g.done;
        return i;
      }),
    );
    await turn();
    expect(started).toEqual([0, 1]);
    expect(slots.busy).toBe(2);
    gates[1]?.open();
    await turn();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]?.open();
    gates[4]?.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(slots.busy).toBe(0);
  });

  it("holds a job's visits from `expect`, waiting and running, until each ends, and says when that changes", async () => {
    const seen: number[] = [];
    const slots: VisitSlots = new VisitSlots(1, () => seen.push(slots.held));
    slots.expect(3);
    expect(slots.held).toBe(3);
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, i) => slots.run(`t${i}`, undefined, () => g.done));
    expect([slots.held, slots.busy, slots.waiting]).toEqual([3, 1, 2]);
    gates[0]?.open();
    await turn();
    expect([slots.held, slots.busy, slots.waiting]).toEqual([2, 1, 1]);
    gates[1]?.open();
    gates[2]?.open();
    await Promise.all(runs);
    expect(slots.held).toBe(0);
    expect(seen.at(-1)).toBe(0); // the last visit's end was reported
  });

  it('a slot is given back when the visit throws', async () => {
    const slots = new VisitSlots(1);
    await expect(slots.run('t', undefined, async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(slots.busy).toBe(0);
    expect(await slots.run('t', undefined, async () => 'next')).toBe('next');
  });

  it('a waiter whose signal aborts rejects with VISIT_ABORTED and never runs; the slot goes to the next', async () => {
    const slots = new VisitSlots(1);
    const first = gate();
    const running = slots.run('a', undefined, () => first.done);
    const abort = new AbortController();
    let ranAborted = false;
    const aborted = slots.run('b', abort.signal, async () => {
      ranAborted = true;
    });
    const third = slots.run('c', undefined, async () => 'c ran');
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'VISIT_ABORTED' });
    first.open();
    await running;
    expect(await third).toBe('c ran');
    expect(ranAborted).toBe(false);
    expect(slots.busy).toBe(0);
    // Already aborted: refused before taking a slot.
    await expect(slots.run('d', abort.signal, async () => 'd')).rejects.toMatchObject({
      code: 'VISIT_ABORTED',
    });
    expect(slots.busy).toBe(0);
  });

  it('keeps its order over many waiters (the queue is compacted as it drains)', async () => {
    const slots = new VisitSlots(1);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        slots.run(`t${i}`, undefined, async () => {
          order.push(i);
          await turn();
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });
});
