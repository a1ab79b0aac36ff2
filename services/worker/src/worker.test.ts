import net from 'node:net';
import { crawlerConfigSchema, createVisitor, type Visitor } from '@bitcrawl/crawler';
import type { Observation } from '@bitcrawl/model';
import { packAddrs } from '@bitcrawl/protocol';
import {
  type CrawlJob,
  createCrawlQueue,
  DEFAULT_REVISIT,
  Frontier,
  jobIdFor,
  OBSERVATION_STREAM,
  ObservationStreamReader,
  VISIT_BATCH,
  visitJobs,
} from '@bitcrawl/queue';
import { createMetrics, silentLogger } from '@bitcrawl/telemetry';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { type Queue, UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENQUEUE_SLICE } from './committer.ts';
import { processCrawlJob, startWorker, workerConfigSchema } from './worker.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(30_000) });

let server: RedisServer;
let bull: Redis;
let redis: Redis;
let queue: Queue<CrawlJob>;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  bull = new Redis(server.url, { maxRetriesPerRequest: null });
  redis = new Redis(server.url);
  await redis.flushall();
  queue = createCrawlQueue(bull);
});
afterEach(async () => {
  await queue.close();
  bull.disconnect();
  redis.disconnect();
});

const logger = silentLogger();
const addr = (port: number) => ({ network: 'ipv4' as const, host: '127.0.0.1', port });
const until = async (cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** `n` peers on 127.0.0.1 (ephemeral ports), each handing its connections to `onConnection`. */
function peersOnLoopback(n: number, onConnection: (c: net.Socket) => void): Promise<net.Server[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer(onConnection);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
}

/** A visitor that answers at once: every target is reachable and knows `answers[port]`. */
function instantVisitor(answers: Record<number, number[]> = {}): Visitor & { visits: string[] } {
  const visits: string[] = [];
  return {
    visits,
    async visit(target, ctx): Promise<Observation> {
      visits.push(`${target.host}:${target.port}`);
      return {
        ts: Date.now(),
        crawlId: ctx.crawlId,
        ...target,
        outcome: 'ok',
        error: '',
        peer: null,
        connectMs: 1,
        handshakeMs: 1,
        addrs: packAddrs((answers[target.port] ?? []).map((p) => ({ ...addr(p), services: 1n, time: 0 }))),
      };
    },
  };
}

async function enqueue(crawlId: string, ports: number[]) {
  await new Frontier(redis).admit(crawlId, ports.map(addr));
  await queue.addBulk(visitJobs(crawlId, undefined, ports.map(addr), 1)); // a job each
}

/** The ports of the addresses the waiting jobs visit. */
const waitingPorts = async () =>
  (await queue.getJobs(['waiting'])).flatMap((j) => j.data.targets.map((t) => t.port)).sort((a, b) => a - b);

describe('worker shutdown', () => {
  it('aborts visits still running after the grace period and hands their jobs back unrecorded', async () => {
    // Peers that accept and never speak: without the abort each visit would wait 60 s.
    const sockets = new Set<net.Socket>();
    const silent = await peersOnLoopback(3, (c) => {
      sockets.add(c);
      c.resume(); // read and ignore the version message, so the close is seen
      c.on('close', () => sockets.delete(c));
    });
    const ports = silent.map((s) => (s.address() as net.AddressInfo).port);
    try {
      await enqueue('sd', ports);
      const visitor = createVisitor(
        crawlerConfigSchema.parse({
          chain: 'regtest',
          allowPrivate: true,
          timeouts: { handshakeMs: 60_000, sessionMs: 120_000 },
        }),
      );
      const frontier = new Frontier(redis);
      const grace = 500;
      const running = startWorker(
        { connection: bull, crawlQueue: queue, frontier, visitor, logger },
        workerConfigSchema.parse({ concurrency: 10, shutdownGraceMs: grace }),
      );
      await until(async () => sockets.size === 3, budget(10_000));
      const t0 = Date.now();
      await running.close();
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(grace - 50);
      // Not held until the visits' 60 s handshake deadline (half of it: any loaded machine makes it).
      expect(took).toBeLessThan(30_000);
      // handed back: waiting again, nothing recorded, nothing appended to the stream
      expect(await queue.getJobCounts('waiting', 'active', 'failed', 'completed')).toMatchObject({
        waiting: 3,
        active: 0,
        failed: 0,
        completed: 0,
      });
      expect(await frontier.progress('sd')).toMatchObject({ seen: 3, visited: 0 });
      expect(await redis.xlen(OBSERVATION_STREAM)).toBe(0);
      await until(async () => sockets.size === 0, budget(5_000)); // the sockets were closed, not leaked

      // another worker processes the handed-back jobs; each is recorded exactly once
      const next = instantVisitor();
      const other = startWorker(
        { connection: bull, crawlQueue: queue, frontier, visitor: next, logger },
        workerConfigSchema.parse({ concurrency: 10, shutdownGraceMs: grace }),
      );
      try {
        await until(async () => (await frontier.progress('sd')).visited === 3, budget(10_000));
      } finally {
        await other.close();
      }
      expect(next.visits.sort()).toEqual(ports.map((p) => `127.0.0.1:${p}`).sort());
      expect(await redis.xlen(OBSERVATION_STREAM)).toBe(3);
    } finally {
      for (const c of sockets) c.destroy();
      await Promise.all(silent.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('dials beyond CONCURRENCY: connected visits wait, silent, for a session slot (the real visitor)', async () => {
    // Peers that never answer: each ends a visit by closing once it has been spoken to, but
    // only after all four were connected at once (so nothing depends on the machine's speed).
    const open = new Set<net.Socket>();
    const spoken = new Set<net.Socket>();
    let mostSpeaking = 0;
    let mostOpen = 0;
    let allOpen = false;
    const hangUp = (c: net.Socket) => setTimeout(() => c.destroy(), 50);
    const peers = await peersOnLoopback(4, (c) => {
      open.add(c);
      mostOpen = Math.max(mostOpen, open.size);
      if (open.size === 4 && !allOpen) {
        allOpen = true;
        for (const talker of spoken) hangUp(talker);
      }
      c.on('data', () => {
        if (spoken.has(c)) return;
        spoken.add(c);
        mostSpeaking = Math.max(mostSpeaking, [...spoken].filter((x) => open.has(x)).length);
        if (allOpen) hangUp(c);
      });
      c.on('error', () => {});
      c.on('close', () => open.delete(c));
    });
    const ports = peers.map((s) => (s.address() as net.AddressInfo).port);
    try {
      await enqueue('pd', ports);
      const visitor = createVisitor(
        crawlerConfigSchema.parse({
          chain: 'regtest',
          allowPrivate: true,
          transport: 'v1', // one connection a visit (a v2 hang-up would be retried in v1)
          timeouts: { connectMs: 60_000, handshakeMs: 60_000, sessionMs: 120_000 },
        }),
      );
      const frontier = new Frontier(redis);
      const running = startWorker(
        { connection: bull, crawlQueue: queue, frontier, visitor, logger },
        workerConfigSchema.parse({ concurrency: 1, pendingDials: 3, shutdownGraceMs: 1_000 }),
      );
      try {
        await until(async () => (await frontier.progress('pd')).visited === 4, budget(20_000));
      } finally {
        await running.close();
      }
      expect(mostOpen).toBe(4); // four sockets: one session and three connected dials
      expect(mostSpeaking).toBe(1); // but one session at a time
      expect(spoken.size).toBe(4); // each was spoken to in turn
      const reader = new ObservationStreamReader(redis, 'pd');
      await reader.ensureGroup();
      const { observations } = await reader.read();
      expect(observations.map((o) => o.outcome)).toEqual(['closed', 'closed', 'closed', 'closed']);
    } finally {
      for (const c of open) c.destroy();
      await Promise.all(peers.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('lets visits that finish within the grace period complete and record', async () => {
    await enqueue('fin', [7001]);
    const frontier = new Frontier(redis);
    const slow: Visitor = {
      async visit(target, ctx) {
        await new Promise((r) => setTimeout(r, 300));
        return instantVisitor().visit(target, ctx);
      },
    };
    const running = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor: slow, logger },
      workerConfigSchema.parse({ concurrency: 2, shutdownGraceMs: 5_000 }),
    );
    await until(async () => (await queue.getJobCounts('active')).active === 1, budget(5_000));
    await running.close();
    expect(await frontier.progress('fin')).toMatchObject({ seen: 1, visited: 1 });
  });
});

describe('jobs of several addresses', () => {
  it('visits each, at most `concurrency` sessions and `pendingDials` more dials at once across jobs, and records them all', async () => {
    const frontier = new Frontier(redis);
    const ports = Array.from({ length: 2 * VISIT_BATCH + 1 }, (_, i) => 7100 + i);
    await frontier.admit('bt', ports.map(addr));
    await queue.addBulk(visitJobs('bt', undefined, ports.map(addr)));
    expect(await queue.getWaitingCount()).toBe(3);
    let visiting = 0;
    let mostVisiting = 0;
    let sessions = 0;
    let mostSessions = 0;
    const inner = instantVisitor();
    const visitor: Visitor = {
      async visit(target, ctx) {
        mostVisiting = Math.max(mostVisiting, ++visiting);
        await new Promise((r) => setTimeout(r, 10)); // the dial
        const slot = ctx.connected?.();
        if (slot !== true && !(await slot)) throw new Error('no session slot');
        mostSessions = Math.max(mostSessions, ++sessions);
        await new Promise((r) => setTimeout(r, 20)); // the session
        sessions--;
        visiting--;
        return inner.visit(target, ctx);
      },
    };
    const worker = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor, logger },
      workerConfigSchema.parse({ concurrency: 4, pendingDials: 4, shutdownGraceMs: 1_000 }),
    );
    try {
      await until(async () => (await frontier.progress('bt')).visited === ports.length, budget(10_000));
    } finally {
      await worker.close();
    }
    expect(inner.visits.sort()).toEqual(ports.map((p) => `127.0.0.1:${p}`).sort());
    // Three jobs of 33 addresses, yet never more than 4 sessions, nor 4 + 4 sockets.
    expect(mostSessions).toBe(4);
    expect(mostVisiting).toBe(8);
    expect(await queue.getCompletedCount()).toBe(3);
  });

  it('takes no more jobs while a whole set of slots waits for a slot, and all are visited in the end', async () => {
    const frontier = new Frontier(redis);
    const ports = Array.from({ length: 4 * VISIT_BATCH }, (_, i) => 7500 + i);
    await frontier.admit('hold', ports.map(addr));
    const jobs = visitJobs('hold', undefined, ports.map(addr));
    const inner = instantVisitor();
    let mostActive = 0;
    const visitor: Visitor = {
      async visit(target, ctx) {
        mostActive = Math.max(mostActive, await queue.getActiveCount());
        await new Promise((r) => setTimeout(r, 30));
        return inner.visit(target, ctx);
      },
    };
    const worker = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor, logger },
      workerConfigSchema.parse({ concurrency: 4, pendingDials: 0, shutdownGraceMs: 1_000 }),
    );
    try {
      await queue.addBulk(jobs.slice(0, 1));
      await until(async () => inner.visits.length > 0, budget(10_000));
      await queue.addBulk(jobs.slice(1));
      await until(async () => (await frontier.progress('hold')).visited === ports.length, budget(20_000));
    } finally {
      await worker.close();
    }
    // Concurrency 4 would take all four jobs (64 visits for 4 slots). The first job's 12
    // waiting visits stop the fetching after the one already under way: two jobs at most.
    expect(mostActive).toBeLessThanOrEqual(2);
    expect(inner.visits).toHaveLength(ports.length);
  });

  it('holds at most a set of slots of visits beyond those running, however fast jobs come: the rest stay queued', async () => {
    const frontier = new Frontier(redis);
    const slots = 64;
    const ports = Array.from({ length: 40 * VISIT_BATCH }, (_, i) => 9000 + i);
    await frontier.admit('burst', ports.map(addr));
    await queue.addBulk(visitJobs('burst', undefined, ports.map(addr)));
    const inner = instantVisitor();
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const visitor: Visitor = {
      async visit(target, ctx) {
        started++;
        await released;
        return inner.visit(target, ctx);
      },
    };
    const worker = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor, logger },
      workerConfigSchema.parse({ concurrency: slots, pendingDials: 0, shutdownGraceMs: 1_000 }),
    );
    let mostActive = 0;
    try {
      await until(async () => started === slots, budget(10_000));
      // However long the fetching goes on, it has stopped short of the 40 jobs.
      for (let i = 0; i < 10; i++) {
        mostActive = Math.max(mostActive, await queue.getActiveCount());
        await new Promise((r) => setTimeout(r, 50));
      }
      release();
      await until(async () => (await frontier.progress('burst')).visited === ports.length, budget(20_000));
    } finally {
      release();
      await worker.close();
    }
    // 64 running and 64 waiting are 8 jobs, and one fetch may be under way when it stops.
    expect(mostActive).toBeLessThanOrEqual((2 * slots) / VISIT_BATCH + 1);
    expect(inner.visits).toHaveLength(ports.length);
  });

  it('jobs of one address each still run `concurrency` visits at once', async () => {
    const frontier = new Frontier(redis);
    const ports = Array.from({ length: 24 }, (_, i) => 7800 + i);
    await frontier.admit('single', ports.map(addr));
    await queue.addBulk(visitJobs('single', undefined, ports.map(addr), 1));
    const inner = instantVisitor();
    let open = 0;
    let most = 0;
    const visitor: Visitor = {
      async visit(target, ctx) {
        most = Math.max(most, ++open);
        await new Promise((r) => setTimeout(r, 200));
        open--;
        return inner.visit(target, ctx);
      },
    };
    const worker = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor, logger },
      workerConfigSchema.parse({ concurrency: 8, pendingDials: 0, shutdownGraceMs: 1_000 }),
    );
    try {
      await until(async () => (await frontier.progress('single')).visited === ports.length, budget(20_000));
    } finally {
      await worker.close();
    }
    expect(most).toBe(8);
    expect(inner.visits).toHaveLength(ports.length);
  });

  it("a full job's visits all listen for the shutdown without a listener-leak warning", async () => {
    const frontier = new Frontier(redis);
    const ports = Array.from({ length: VISIT_BATCH }, (_, i) => 7400 + i);
    await frontier.admit('ls', ports.map(addr));
    const [job] = visitJobs('ls', undefined, ports.map(addr));
    const inner = instantVisitor();
    // Like the real visitor: the dial and the session each listen while the visit runs.
    const visitor: Visitor = {
      async visit(target, ctx) {
        const noop = () => {};
        ctx.signal?.addEventListener('abort', noop);
        ctx.signal?.addEventListener('abort', noop, { once: true });
        await new Promise((r) => setTimeout(r, 20));
        return inner.visit(target, ctx);
      },
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const deps = { connection: bull, crawlQueue: queue, frontier, visitor, logger };
      const outcomes = await processCrawlJob(
        deps,
        { id: 'ls', data: job?.data } as never,
        new AbortController().signal,
      );
      expect(outcomes).toEqual(Array(VISIT_BATCH).fill('ok'));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('a bad address fails its job for good, after the others are visited and recorded', async () => {
    const frontier = new Frontier(redis);
    await frontier.admit('bad', [addr(7201), addr(7203)]);
    const visitor = instantVisitor();
    const deps = { connection: bull, crawlQueue: queue, frontier, visitor, logger };
    const targets = [addr(7201), { network: 'ipv4', host: 'example.com', port: 8333 }, addr(7203)];
    const job = { id: 'jbad', data: { crawlId: 'bad', source: 'seed', targets } } as never;
    await expect(processCrawlJob(deps, job)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(visitor.visits.sort()).toEqual(['127.0.0.1:7201', '127.0.0.1:7203']);
    expect(await frontier.progress('bad')).toMatchObject({ seen: 2, visited: 2 });
  });

  it('on shutdown, a job part done goes back whole; run again, it visits only what was not recorded', async () => {
    const frontier = new Frontier(redis);
    const ports = [7301, 7302, 7303];
    await frontier.admit('part', ports.map(addr));
    await queue.addBulk(visitJobs('part', undefined, ports.map(addr)));
    const inner = instantVisitor();
    // 7301 answers at once; the others never do (their visits wait to be aborted).
    const hanging: Visitor = {
      visit: (target, ctx) => (target.port === 7301 ? inner.visit(target, ctx) : new Promise(() => {})),
    };
    const first = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor: hanging, logger },
      workerConfigSchema.parse({ concurrency: 10, shutdownGraceMs: 200 }),
    );
    await until(async () => (await frontier.progress('part')).visited === 1, budget(10_000));
    await first.close();
    expect(await queue.getJobCounts('waiting', 'active', 'failed')).toMatchObject({
      waiting: 1,
      active: 0,
      failed: 0,
    });
    const next = instantVisitor();
    const second = startWorker(
      { connection: bull, crawlQueue: queue, frontier, visitor: next, logger },
      workerConfigSchema.parse({ concurrency: 10, shutdownGraceMs: 1_000 }),
    );
    try {
      await until(async () => (await frontier.progress('part')).visited === 3, budget(10_000));
    } finally {
      await second.close();
    }
    expect(next.visits.sort()).toEqual(['127.0.0.1:7302', '127.0.0.1:7303']);
    expect(await redis.xlen(OBSERVATION_STREAM)).toBe(3);
  });
});

/** What the first attempt of a job did before its process died: visit and commit, no enqueue. */
const answered = (crawlId: string, port: number, answer: number[]): Observation => ({
  ts: Date.now(),
  crawlId,
  ...addr(port),
  outcome: 'ok',
  error: '',
  peer: null,
  connectMs: 1,
  handshakeMs: 1,
  addrs: packAddrs(answer.map((p) => ({ ...addr(p), services: 1n, time: 0 }))),
});

describe('crash between commit and enqueue', () => {
  it('the redelivered job enqueues what the first attempt admitted, and visits nothing again', async () => {
    const frontier = new Frontier(redis);
    await enqueue('cr', [8001]);
    const src = addr(8001);
    // attempt 1: the node answered 8002 and 8003; recorded and admitted, then the process died
    await frontier.commit(answered('cr', 8001, [8002, 8003]));
    // attempt 2 (redelivery)
    const job = await queue.getJob(jobIdFor('cr', src));
    if (!job) throw new Error('no job');
    const visitor = instantVisitor({ 8001: [8004] });
    const deps = { connection: bull, crawlQueue: queue, frontier, visitor, logger };
    expect(await processCrawlJob(deps, job)).toEqual(['already-recorded']);
    expect(visitor.visits).toEqual([]);
    expect(await waitingPorts()).toEqual([8001, 8002, 8003]); // 8001 itself is still in the queue here
    // 8002 and 8003 went in one job, named by its first address.
    expect((await queue.getJob(jobIdFor('cr', addr(8002))))?.data.targets).toHaveLength(2);
    expect(await frontier.progress('cr')).toMatchObject({ seen: 3, visited: 1 });
    expect(await frontier.begin('cr', src)).toEqual({ recorded: true, enqueue: [] }); // outbox cleared
  });

  it('a large answer is enqueued in slices; the outbox is cleared only once every slice is in', async () => {
    // Answers over ENQUEUE_SLICE jobs of VISIT_BATCH: more than the default per-source cap allows.
    const frontier = new Frontier(redis, { ...DEFAULT_REVISIT, gossipCaps: { perSource: 4_000 } });
    await enqueue('sl', [9000]);
    const job = await queue.getJob(jobIdFor('sl', addr(9000)));
    if (!job) throw new Error('no job');
    const answer = Array.from({ length: (2 * ENQUEUE_SLICE + 3) * VISIT_BATCH }, (_, i) => 9001 + i);
    const sizes: number[] = [];
    const add = queue.addBulk.bind(queue);
    let failSecond = true;
    queue.addBulk = async (jobs) => {
      sizes.push(jobs.length);
      if (sizes.length === 2 && failSecond) throw new Error('redis went away');
      return add(jobs);
    };
    const deps = {
      connection: bull,
      crawlQueue: queue,
      frontier,
      visitor: instantVisitor({ 9000: answer }),
      logger,
    };
    // The second slice fails: the job fails (BullMQ retries it) and the outbox keeps every admission.
    await expect(processCrawlJob(deps, job)).rejects.toThrow('redis went away');
    expect(sizes).toEqual([ENQUEUE_SLICE, ENQUEUE_SLICE]);
    const handed = await frontier.begin('sl', addr(9000));
    expect(handed.recorded).toBe(true);
    expect(handed.enqueue.map((e) => e.port).sort((a, b) => a - b)).toEqual(answer);
    // The retry hands them over in slices too, then clears the outbox.
    failSecond = false;
    sizes.length = 0;
    expect(await processCrawlJob(deps, job)).toEqual(['already-recorded']);
    expect(sizes).toEqual([ENQUEUE_SLICE, ENQUEUE_SLICE, 3]);
    expect(await queue.getWaitingCount()).toBe(1 + answer.length / VISIT_BATCH);
    expect(await waitingPorts()).toEqual([9000, ...answer]);
    expect(await frontier.begin('sl', addr(9000))).toEqual({ recorded: true, enqueue: [] });
  });

  it("a stale twin's late visit records nothing and admits nothing", async () => {
    const frontier = new Frontier(redis);
    await enqueue('tw', [8101]);
    const src = addr(8101);
    const job = await queue.getJob(jobIdFor('tw', src));
    if (!job) throw new Error('no job');
    const deps = {
      connection: bull,
      crawlQueue: queue,
      frontier,
      visitor: instantVisitor({ 8101: [8102] }),
      logger,
    };
    // Worker B (the job's lock had lapsed) visits and records 8101, enqueueing 8102.
    expect(await processCrawlJob(deps, job)).toEqual(['ok']);
    expect(await queue.getJob(jobIdFor('tw', addr(8102)))).toBeDefined();
    // Worker A's stale visit of 8101 returns now, with another answer: the round keeps B's.
    expect(await frontier.commit(answered('tw', 8101, [8103]))).toEqual({ recorded: false, enqueue: [] });
    expect(await queue.getJob(jobIdFor('tw', addr(8103)))).toBeUndefined();
    expect(await frontier.progress('tw')).toMatchObject({ seen: 2, visited: 1 });
  });

  it('a round run to the end by workers leaves seen == visited after such a crash', async () => {
    const frontier = new Frontier(redis);
    await enqueue('end', [9001]);
    await frontier.commit(answered('end', 9001, [9002, 9003])); // died here once
    const running = startWorker(
      {
        connection: bull,
        crawlQueue: queue,
        frontier,
        visitor: instantVisitor({ 9003: [9004], 9004: [9005] }),
        logger,
      },
      workerConfigSchema.parse({ concurrency: 4, shutdownGraceMs: 1_000 }),
    );
    try {
      await until(async () => {
        const p = await frontier.progress('end');
        return p.seen === 5 && p.visited === 5;
      }, budget(10_000));
    } finally {
      await running.close();
    }
  });
});

describe('advertised services travel with the job', () => {
  it('a gossiped entry its services go into the job, and the visit gets them (v2 is planned from them)', async () => {
    const frontier = new Frontier(redis);
    await enqueue('sv', [8301]);
    const seen: (bigint | undefined)[] = [];
    const inner = instantVisitor();
    const visitor: Visitor = {
      async visit(target, ctx) {
        seen.push(target.services);
        const obs = await inner.visit(target, ctx);
        return target.port === 8301
          ? { ...obs, addrs: packAddrs([{ ...addr(8302), services: 0xc09n, time: 0 }]) }
          : obs;
      },
    };
    const deps = { connection: bull, crawlQueue: queue, frontier, visitor, logger };
    const first = await queue.getJob(jobIdFor('sv', addr(8301)));
    if (!first) throw new Error('no job');
    await processCrawlJob(deps, first);
    const job = await queue.getJob(jobIdFor('sv', addr(8302)));
    expect(job?.data).toMatchObject({
      source: '127.0.0.1:8301',
      targets: [{ port: 8302, services: String(0xc09n) }],
    });
    if (!job) throw new Error('no job');
    await processCrawlJob(deps, job);
    expect(seen).toEqual([undefined, 0xc09n]); // the seed's services are unknown
  });
});

describe('backpressure', () => {
  it('takes no new visits while the ingest backlog is over the limit, and resumes below half of it', async () => {
    await redis.del(OBSERVATION_STREAM);
    const reader = new ObservationStreamReader(redis, 'bp');
    await reader.ensureGroup();
    for (let i = 0; i < 5; i++) await redis.xadd(OBSERVATION_STREAM, '*', 'obs', '{}');
    const metrics = createMetrics({ service: 'worker', defaultMetrics: false });
    const visitor = instantVisitor();
    const running = startWorker(
      { connection: bull, crawlQueue: queue, frontier: new Frontier(redis), visitor, logger, metrics },
      workerConfigSchema.parse({ concurrency: 4, maxIngestBacklog: 4, shutdownGraceMs: 1_000 }),
    );
    const throttled = async () => (await metrics.workerThrottled.get()).values[0]?.value;
    try {
      await until(async () => (await throttled()) === 1, budget(10_000));
      await enqueue('bp', [7001, 7002, 7003]);
      // Throttled: however slow or fast the machine, nothing starts while the backlog stands.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(visitor.visits).toEqual([]);
      await redis.del(OBSERVATION_STREAM); // the ingester caught up
      await reader.ensureGroup();
      await until(async () => visitor.visits.length === 3, budget(10_000));
      expect(await throttled()).toBe(0);
    } finally {
      await running.close();
    }
  });
});

describe('gossip caps at visit time', () => {
  it('a host gets at most MAX_ENDPOINTS_PER_IP gossiped endpoints visited a round; seeds and loopback are exempt', async () => {
    const frontier = new Frontier(redis, {
      reachableMs: 1,
      failBaseMs: 1,
      failMaxMs: 1,
      gossipCaps: { perHost: 8 },
    });
    const refusedRules: string[] = [];
    const dialed: number[] = [];
    const visitor: Visitor = {
      async visit(target, ctx) {
        if (ctx.refused) refusedRules.push(ctx.refused.rule);
        else dialed.push(target.port);
        return {
          ts: Date.now(),
          crawlId: ctx.crawlId,
          ...target,
          outcome: ctx.refused ? 'not_dialable' : 'refused',
          error: ctx.refused?.reason ?? '',
          peer: null,
          connectMs: 0,
          handshakeMs: 0,
          addrs: packAddrs([]),
        };
      },
    };
    const deps = { connection: bull, crawlQueue: queue, frontier, visitor, logger };
    const job = (host: string, port: number, source: string) =>
      ({
        id: `j${port}`,
        data: { crawlId: 'cap', source, targets: [{ network: 'ipv4', host, port }] },
      }) as never;
    for (let port = 1000; port < 1020; port++)
      await processCrawlJob(deps, job('198.51.100.7', port, '198.51.100.1:8333'));
    expect(dialed).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007]);
    expect(refusedRules).toEqual(Array(12).fill('per_ip'));
    await processCrawlJob(deps, job('198.51.100.7', 2000, 'seed'));
    for (let port = 3000; port < 3010; port++)
      await processCrawlJob(deps, job('127.0.0.1', port, '198.51.100.1:8333'));
    expect(dialed).toHaveLength(8 + 1 + 10);
    expect(refusedRules).toHaveLength(12);
  });
});
