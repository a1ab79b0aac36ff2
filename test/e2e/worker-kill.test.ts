import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createCrawlQueue, Frontier } from '@bitcrawl/queue';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { budget, freePort, loopbackTimerEnv, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Recovery from a SIGKILLed worker with the default LOCK_DURATION_MS and STALLED_INTERVAL_MS
 * (not set here): the same round on the same simnet, once clean and once with one of two
 * workers killed mid-round, each on a fresh Redis. The killed worker's active jobs come back
 * once their lock lapses and a stalled check runs (about 20 s at most with the defaults: a
 * 10 s lock, then up to two 5 s stalled checks), so the killed round may take at most the clean
 * one plus 25 s.
 */

const bin = path.resolve(import.meta.dirname, '../../services/cli/bin/bitcrawl.mjs');
const CRAWL_ID = 'kill1';

let sim: Simnet;
const children = new Set<ChildProcess>();

function service(name: 'seeder' | 'worker', env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [bin, name], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  child.stderr?.on('data', (d) => process.stderr.write(`[${name} ${child.pid}] ${d}`));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

beforeAll(async () => {
  sim = await startSimnet({
    seed: 91,
    nodes: 400,
    // Silent nodes keep visits in flight (the handshake timer) so the killed worker has some.
    kinds: { core: 10, legacy: 1, silent: 2 },
    port: 31_000 + Math.floor(Math.random() * 900),
    latencyMs: { min: 0, max: 30 },
  });
}, budget(120_000));

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sim?.stop();
});

/** One round on a fresh Redis; `kill` SIGKILLs the first worker once `killAfter` visits are recorded. */
async function round(kill: boolean): Promise<{ ms: number; visited: number }> {
  const redis: RedisServer = await startRedis();
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const frontier = new Frontier(conn);
  const queue = createCrawlQueue(conn);
  const env = {
    REDIS_URL: redis.url,
    // Enough for either worker to carry the round alone: the killed round measures recovery, not half the capacity.
    CONCURRENCY: '600',
    ALLOW_PRIVATE: 'true',
    ...loopbackTimerEnv(), // scaled to the machine's speed
  };
  const workers: ChildProcess[] = [];
  let seeder: ChildProcess | undefined;
  try {
    for (let i = 0; i < 2; i++)
      workers.push(service('worker', { ...env, METRICS_PORT: String(await freePort()) }));
    const t0 = performance.now();
    // One-shot (CRAWL_ID): it runs the round, whose end (stored) it would wait for; there is no
    // ingester here, so it is stopped once every address is visited.
    seeder = service('seeder', {
      REDIS_URL: redis.url,
      SEEDS: sim.seeds.join(','),
      DNS: 'false',
      CRAWL_ID,
    });
    let killed = !kill;
    for (;;) {
      const p = await frontier.progress(CRAWL_ID);
      if (!killed && p.visited > 50) {
        workers[0]?.kill('SIGKILL');
        killed = true;
      }
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (p.seen > 0 && p.visited === p.seen && Object.values(c).every((n) => n === 0))
        return { ms: performance.now() - t0, visited: p.visited };
      if (performance.now() - t0 > 240_000)
        throw new Error(`the round did not finish in 240 s: ${JSON.stringify({ ...p, ...c })}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    for (const c of [...workers, ...(seeder ? [seeder] : [])]) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(workers.map(exited));
    if (seeder) expect(await exited(seeder)).toBe(0);
    await queue.close();
    conn.disconnect();
    await redis.stop();
  }
}

describe('a SIGKILLed worker with the default lock duration and stalled-check interval', () => {
  it(
    'its jobs come back fast enough that the round takes at most the clean round + 25 s',
    async () => {
      const clean = await round(false);
      const killed = await round(true);
      console.log(
        `clean round ${(clean.ms / 1000).toFixed(1)} s (${clean.visited} visits), ` +
          `with a worker SIGKILLed ${(killed.ms / 1000).toFixed(1)} s (${killed.visited} visits)`,
      );
      expect(killed.visited).toBe(clean.visited);
      expect(killed.ms).toBeLessThanOrEqual(clean.ms + 25_000);
    },
    budget(600_000),
  );
});
