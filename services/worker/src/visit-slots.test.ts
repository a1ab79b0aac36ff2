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

/** A visit that takes a session slot and holds it until released. */
function holdSession(slots: VisitSlots) {
  const hold = gate();
  const done = slots.run('holder', undefined, async (session) => {
    await session();
    await hold.done;
  });
  return { release: hold.open, done };
}

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
    const slots: VisitSlots = new VisitSlots(1, 0, () => seen.push(slots.held));
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

  it('dials beyond the sessions: a connected visit waits for a session slot, first come first served, its socket held', async () => {
    const slots = new VisitSlots(2, 3); // 2 sessions, 5 sockets
    const events: string[] = [];
    const connects = Array.from({ length: 6 }, gate);
    const ends = Array.from({ length: 6 }, gate);
    const runs = connects.map((c, i) =>
      slots.run(`t${i}`, undefined, async (session) => {
        events.push(`dial ${i}`);
        await c.done; // the dial connects
        const slot = session();
        if (slot !== true && !(await slot)) throw new Error('no slot');
        events.push(`session ${i}`);
        await ends[i]?.done;
        return i;
      }),
    );
    await turn();
    // Five sockets: five dials at once, the sixth waits for a socket.
    expect(events).toEqual(['dial 0', 'dial 1', 'dial 2', 'dial 3', 'dial 4']);
    expect([slots.busy, slots.waiting, slots.connected]).toEqual([5, 1, 0]);
    for (const i of [3, 0, 4, 1]) connects[i]?.open();
    await turn();
    // Two session slots: 3 and 0 speak; 4 and 1 wait, connected, in the order they connected.
    expect(events.slice(5)).toEqual(['session 3', 'session 0']);
    expect(slots.connected).toBe(4);
    ends[0]?.open();
    await turn();
    await turn();
    // 0's end frees a session (to 4) and a socket (to 5, which dials).
    expect(events.slice(7).sort()).toEqual(['dial 5', 'session 4']);
    for (const i of [2, 5]) connects[i]?.open();
    for (const i of [3, 4, 1, 2, 5]) ends[i]?.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(events.filter((e) => e.startsWith('session'))).toHaveLength(6);
    expect([slots.busy, slots.connected, slots.held]).toEqual([0, 0, 0]);
  });

  it('a visit asks for its session slot once: a second connection (a v1 fallback) keeps it', async () => {
    const slots = new VisitSlots(1, 1);
    const other = gate();
    const second = slots.run('b', undefined, async (session) => {
      await other.done;
      return session();
    });
    const first = await slots.run('a', undefined, async (session) => {
      expect(session()).toBe(true);
      return session();
    });
    expect(first).toBe(true);
    other.open();
    expect(await second).toBe(true); // the slot 'a' held went back when it ended
    expect([slots.busy, slots.connected]).toEqual([0, 0]);
  });

  it('a connected visit aborted while it waits for a session slot is told so (false), and every slot goes back', async () => {
    const slots = new VisitSlots(1, 1);
    const holder = holdSession(slots);
    const abort = new AbortController();
    const waiting = slots.run('b', abort.signal, async (session) => session());
    await turn();
    expect(slots.connected).toBe(2);
    abort.abort();
    expect(await waiting).toBe(false);
    holder.release();
    await holder.done;
    expect([slots.busy, slots.connected]).toEqual([0, 0]);
    // Both slots are free again: a visit gets its session at once.
    expect(await slots.run('c', undefined, async (session) => session())).toBe(true);
  });

  it('a visit that ends while its session slot is still coming gives the slot back when it comes', async () => {
    const slots = new VisitSlots(1, 1);
    const holder = holdSession(slots);
    // 'b' asks for a session and ends without waiting for it (as a visit cut short would).
    await slots.run('b', undefined, async (session) => {
      void session();
    });
    holder.release();
    await holder.done;
    await turn();
    expect([slots.busy, slots.connected]).toEqual([0, 0]);
    expect(await slots.run('c', undefined, async (session) => session())).toBe(true);
  });

  it('a connected visit that waits past the longest wait starts without a slot, and gives none back', async () => {
    const slots = new VisitSlots(1, 2, () => {}, 50);
    const holder = holdSession(slots);
    const late = gate();
    let lateSpoke = false;
    const overflowing = slots.run('b', undefined, async (session) => {
      lateSpoke = await session(); // resolves after ~50 ms, the holder still holding
      await late.done;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(lateSpoke).toBe(false);
    await until(() => lateSpoke);
    // Two sockets, one session slot: the late visit speaks without it.
    expect([slots.busy, slots.connected]).toEqual([2, 1]);
    late.open();
    await overflowing;
    expect([slots.busy, slots.connected]).toEqual([1, 1]);
    holder.release();
    await holder.done;
    expect([slots.busy, slots.connected]).toEqual([0, 0]);
    // The one slot is free again (the late visit never held it): the next gets it at once.
    expect(await slots.run('c', undefined, async (session) => session())).toBe(true);
  });
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
