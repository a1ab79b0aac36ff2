import type { Duplex } from 'node:stream';
import { type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalesceWrites } from './coalesce-writes.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** Counts the socket's calls into the kernel path (Node's _write/_writev), from now on. */
function countSocketWrites(redis: Redis): { calls: () => number } {
  const s = (redis as unknown as { stream: Duplex & { _write: unknown; _writev?: unknown } }).stream;
  let n = 0;
  for (const k of ['_write', '_writev'] as const) {
    const f = s[k] as ((...a: unknown[]) => unknown) | undefined;
    if (!f) continue;
    s[k] = function (this: unknown, ...a: unknown[]) {
      n++;
      return f.apply(this, a);
    };
  }
  return { calls: () => n };
}

async function burst(redis: Redis, key: string, n: number): Promise<number[]> {
  // Issued in one synchronous run, as a busy engine's continuations issue theirs in one turn.
  return Promise.all(Array.from({ length: n }, () => redis.incr(key)));
}

describe('coalesceWrites', () => {
  it('sends the commands of one turn in one socket write, in order, with every reply', async () => {
    const plain = new Redis(server.url);
    const coalesced = coalesceWrites(new Redis(server.url));
    try {
      await Promise.all([plain.ping(), coalesced.ping()]);
      const p = countSocketWrites(plain);
      const c = countSocketWrites(coalesced);
      expect(await burst(plain, 'plain', 200)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(await burst(coalesced, 'coalesced', 200)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(p.calls()).toBe(200);
      expect(c.calls()).toBe(1);
    } finally {
      plain.disconnect();
      coalesced.disconnect();
    }
  });

  it('keeps coalescing on the new socket after a reconnect', async () => {
    const redis = coalesceWrites(new Redis(server.url));
    try {
      await redis.ping();
      const first = (redis as unknown as { stream: unknown }).stream;
      redis.disconnect(true); // reconnect
      await new Promise<void>((r) => redis.once('ready', () => r()));
      expect((redis as unknown as { stream: unknown }).stream).not.toBe(first);
      const c = countSocketWrites(redis);
      expect(await burst(redis, 'again', 50)).toHaveLength(50);
      expect(c.calls()).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
