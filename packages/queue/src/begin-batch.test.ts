import { type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_BEGINS_PER_CALL } from './begin-batch.ts';
import { DEFAULT_REVISIT, Frontier } from './frontier.ts';
import { observation } from './observation.test-util.ts';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const v4 = (i: number, port = 8333) => ({
  network: 'ipv4' as const,
  host: `10.9.${i >> 8}.${i & 255}`,
  port,
});
const record = (f: Frontier, crawlId: string, a: ReturnType<typeof v4>, answer: ReturnType<typeof v4>[]) =>
  f.commit(observation(a, crawlId, 'ok', answer));

/** The frontier's script calls, counted at the client. */
function countCalls(client: Redis) {
  const calls: unknown[][] = [];
  const original = client.callBuffer.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const spy = vi.spyOn(client, 'callBuffer').mockImplementation(((...args: unknown[]) => {
    calls.push(args);
    return original(...args);
  }) as Redis['callBuffer']);
  return { calls, restore: () => spy.mockRestore() };
}

/** Sets up two rounds in which some targets are recorded (one with an unfinished outbox). */
async function scene(f: Frontier, tag: string) {
  await record(f, `${tag}-a`, v4(1), [v4(50), v4(51)]); // recorded; its outbox holds 50 and 51
  await record(f, `${tag}-a`, v4(50), []); // 50 visited since: only 51 is handed back
  await record(f, `${tag}-b`, v4(2), []);
  const begins: [string, ReturnType<typeof v4>, boolean][] = [
    [`${tag}-a`, v4(1), true],
    [`${tag}-a`, v4(3), false],
    [`${tag}-b`, v4(1), true],
    [`${tag}-b`, v4(2), true],
    // one host's ports: the cap of 2 slots is taken in order, the repeat passes again
    [`${tag}-a`, v4(9, 1), true],
    [`${tag}-a`, v4(9, 2), true],
    [`${tag}-a`, v4(9, 3), true],
    [`${tag}-a`, v4(9, 1), true],
  ];
  return begins;
}

describe('batched begins', () => {
  it('begins issued together go in one call per round and get what one call each gets', async () => {
    const policy = { ...DEFAULT_REVISIT, gossipCaps: { perHost: 2 } };
    const batched = new Frontier(redis, policy);
    const begins = await scene(batched, 'bb1');
    await batched.begin('bb1-warm', v4(999)); // loads the script (EVALSHA, NOSCRIPT, EVAL)
    const count = countCalls(redis);
    const together = await Promise.all(begins.map(([id, t, c]) => batched.begin(id, t, c)));
    count.restore();
    expect(count.calls).toHaveLength(2); // rounds bb1-a and bb1-b

    const single = new Frontier(redis, policy);
    const alone = [];
    for (const [id, t, c] of await scene(single, 'bb2')) alone.push(await single.begin(id, t, c));
    expect(together).toEqual(alone);
    expect(together).toEqual([
      { recorded: true, enqueue: [v4(51)] },
      { recorded: false, enqueue: [], claimed: true },
      { recorded: false, enqueue: [], claimed: true },
      { recorded: true, enqueue: [] },
      { recorded: false, enqueue: [], claimed: true },
      { recorded: false, enqueue: [], claimed: true },
      { recorded: false, enqueue: [], claimed: false },
      { recorded: false, enqueue: [], claimed: true },
    ]);
  });

  it(`a burst is split into calls of at most ${MAX_BEGINS_PER_CALL}, in order`, async () => {
    const f = new Frontier(redis);
    const n = 2 * MAX_BEGINS_PER_CALL + 7;
    await record(f, 'bb3', v4(n - 1), []);
    await f.begin('bb3-warm', v4(999));
    const count = countCalls(redis);
    const all = await Promise.all(Array.from({ length: n }, (_, i) => f.begin('bb3', v4(i), true)));
    count.restore();
    expect(count.calls).toHaveLength(3);
    expect(all.filter((r) => r.recorded)).toHaveLength(1);
    expect(all[n - 1]).toEqual({ recorded: true, enqueue: [] });
  });

  it('a failed call rejects every begin it carried, and the next begins go on', async () => {
    const f = new Frontier(redis);
    const fail = vi.spyOn(redis, 'callBuffer').mockRejectedValueOnce(new Error('connection lost'));
    const failed = await Promise.allSettled([f.begin('bb4', v4(1)), f.begin('bb4', v4(2))]);
    fail.mockRestore();
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual([
      'connection lost',
      'connection lost',
    ]);
    expect(await f.begin('bb4', v4(1))).toEqual({ recorded: false, enqueue: [], claimed: true });
  });

  it('a reply of another layout rejects every begin it carried, with a code', async () => {
    const f = new Frontier(redis);
    for (const reply of [[0], [0, 1, 1], [1, 2, Buffer.from('x')], 'OK']) {
      const odd = vi.spyOn(redis, 'callBuffer').mockResolvedValueOnce(reply as never);
      const settled = await Promise.allSettled([f.begin('bb5', v4(1)), f.begin('bb5', v4(2))]);
      odd.mockRestore();
      expect(
        settled.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok')),
      ).toEqual(['BEGIN_REPLY', 'BEGIN_REPLY']);
    }
  });
});
