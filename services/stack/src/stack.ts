import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { WORKER_V8_FLAGS } from '@bitcrawl/crawler/worker-flags';
import { newCrawlId } from '@bitcrawl/queue';
import {
  type ClickHouseServer,
  freePort,
  type RedisServer,
  startClickHouse,
  startRedis,
  which,
} from '@bitcrawl/servers';
import { z } from 'zod';

export const stackOptionsSchema = z.object({
  workers: z.number().int().min(1).max(64).default(2),
  /** Use embedded chdb in this directory instead of a clickhouse-server from PATH. */
  store: z.string().optional(),
  /** clickhouse-server's data folder (without `store`): kept when the stack stops. */
  data: z.string().default('data/clickhouse'),
  once: z.boolean().default(false),
  dashboardPort: z.number().int().min(0).max(65535).default(8080),
  /** Extra environment for every service (the same variables docker-compose.yml sets). */
  env: z.record(z.string(), z.string()).default({}),
});
export type StackOptions = z.output<typeof stackOptionsSchema>;

interface Service {
  name: string;
  args: string[];
  /** Node/V8 flags before the script (the workers': as docker-compose.yml runs them). */
  nodeArgs?: readonly string[];
  env: Record<string, string>;
  child?: ChildProcess;
  state: 'starting' | 'running' | 'exited' | 'stopped';
  restarts: number;
  exitCode?: number | null;
}

/**
 * `npm run stack -- --workers N`: the docker-compose topology as local processes. Redis and
 * ClickHouse come from PATH (or chdb with --store); seeder, workers, ingester and dashboard run
 * the same `bitcrawl` commands with the same environment variables as the compose file.
 * Crashed services are restarted (like `restart: unless-stopped`).
 */
export async function runStack(
  o: StackOptions,
  cli: string,
  print: (s: string) => void,
  signal: AbortSignal,
): Promise<number> {
  // Redis and ClickHouse in their own process groups: a terminal's Ctrl-C reaches the services
  // (they shut down gracefully) but must not take the servers down under them.
  const redis: RedisServer = await startRedis({ appendonly: true, ownProcessGroup: true });
  let ch: ClickHouseServer | undefined;
  // Where the crawl is stored: a folder that outlives the stack (the next stack finds it again).
  const storedIn = path.resolve(o.store ?? o.data);
  if (!o.store) {
    if (!which('clickhouse-server'))
      throw new Error('no clickhouse-server on PATH: install it or pass --store DIR for embedded ClickHouse');
    ch = await startClickHouse({ ownProcessGroup: true, dataDir: storedIn });
  }
  const base: Record<string, string> = {
    REDIS_URL: redis.url,
    ...(ch ? { CLICKHOUSE_URL: ch.url } : { STORE_DIR: o.store as string }),
    LOG_LEVEL: 'warn',
    ...o.env,
  };
  const crawlId = newCrawlId();
  const services: Service[] = [
    {
      name: 'ingester',
      args: ['ingester'],
      env: { METRICS_PORT: String(await freePort()) },
      state: 'starting',
      restarts: 0,
    },
    ...(await Promise.all(
      Array.from({ length: o.workers }, async (_, i) => ({
        name: `worker-${i + 1}`,
        args: ['worker'],
        nodeArgs: WORKER_V8_FLAGS,
        env: { METRICS_PORT: String(await freePort()) },
        state: 'starting' as const,
        restarts: 0,
      })),
    )),
    {
      name: 'dashboard',
      args: ['dashboard'],
      env: { DASHBOARD_PORT: String(o.dashboardPort), ...(ch ? {} : { CLICKHOUSE_URL: '' }) },
      state: 'starting',
      restarts: 0,
    },
    {
      name: 'seeder',
      args: ['seeder'],
      env: o.once ? { CRAWL_ID: crawlId } : {},
      state: 'starting',
      restarts: 0,
    },
  ];
  const show = () =>
    print(
      services
        .map(
          (s) =>
            `${s.name}=${s.state}${s.child?.pid ? `(pid ${s.child.pid})` : ''}${s.restarts ? ` restarts ${s.restarts}` : ''}`,
        )
        .join('  '),
    );
  let stopping = false;
  /** Set when a service exits 2 (its configuration is bad): restarting cannot help. */
  let fatal: string | undefined;
  const stop = new AbortController();
  signal.addEventListener('abort', () => stop.abort(), { once: true });
  const start = (s: Service) => {
    const env: Record<string, string> = { ...process.env, ...base, ...s.env } as Record<string, string>;
    if (env.CLICKHOUSE_URL === '') delete env.CLICKHOUSE_URL;
    const child = spawn(process.execPath, [...(s.nodeArgs ?? []), cli, ...s.args], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    s.child = child;
    s.state = 'running';
    child.once('exit', (code) => {
      s.exitCode = code;
      s.state = stopping ? 'stopped' : 'exited';
      if (!stopping && code === 2) {
        fatal ??= `${s.name} exited with status 2: its configuration is invalid (see its message above)`;
        stop.abort();
      }
      // One-shot seeder (--once) exits 0 by design; anything else that dies is restarted.
      else if (!stopping && !(s.name === 'seeder' && o.once && code === 0)) {
        s.restarts++;
        setTimeout(() => !stopping && start(s), 1000);
      }
      show();
    });
  };
  print(
    `stack: redis ${redis.url}, ${ch ? `clickhouse-server ${ch.url} (data in ${storedIn})` : `embedded chdb in ${storedIn}`}, dashboard http://127.0.0.1:${o.dashboardPort}/`,
  );
  if (ch) print(`stack: query it while the stack runs: bitcrawl query --clickhouse ${ch.url} "SQL"`);
  for (const s of services) start(s);
  show();

  let status = 0;
  try {
    if (o.once) {
      status = await waitForRound(redis.url, crawlId, print, stop.signal);
      // The one-shot seeder only seeds: the round's end is noted here, for the ingester's rows.
      await noteRoundEnded(redis.url, crawlId, status, print);
    } else if (!stop.signal.aborted)
      await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
  } finally {
    stopping = true;
    // SIGTERM, then SIGKILL for a service still running after STOP_GRACE_MS (one stuck on a
    // server that went away must not keep the stack, or outlive it).
    await Promise.all(
      services.map(
        (s) =>
          new Promise<void>((r) => {
            const child = s.child;
            if (!child || child.exitCode !== null || child.signalCode !== null) return r();
            const kill = setTimeout(() => {
              print(`${s.name} did not stop within ${STOP_GRACE_MS / 1000} s: killing it`);
              child.kill('SIGKILL');
            }, STOP_GRACE_MS);
            child.once('exit', () => {
              clearTimeout(kill);
              r();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    show();
    await redis.stop();
    await ch?.stop();
    print(
      ch
        ? `stack: stored in ${storedIn} (clickhouse-server's data, kept; the next \`bitcrawl stack --data ${storedIn}\` serves it again)`
        : `stack: stored in ${storedIn} (embedded ClickHouse: bitcrawl query --store ${storedIn} "SQL")`,
    );
  }
  if (fatal) {
    print(`stack: ${fatal}`);
    return 2;
  }
  return status;
}

/**
 * Notes the end of the --once round for the ingester (which writes its `rounds` rows) and waits
 * for the rows to be written, at most ROUND_NOTE_WAIT_MS (a stuck store must not keep the stack).
 */
async function noteRoundEnded(
  redisUrl: string,
  crawlId: string,
  status: number,
  print: (s: string) => void,
): Promise<void> {
  const { Redis } = await import('ioredis');
  const { createCrawlQueue, Frontier, failedJobsByNetwork, pushRoundEnded, ROUNDS_ENDED_KEY } = await import(
    '@bitcrawl/queue'
  );
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = createCrawlQueue(conn);
  try {
    const p = await new Frontier(conn).progress(crawlId);
    await pushRoundEnded(conn, {
      crawlId,
      started: p.startedAt ?? Date.now(),
      finished: Date.now(),
      seedsByNetwork: p.seedsByNetwork,
      failedByNetwork: status === 1 ? await failedJobsByNetwork(queue, crawlId) : {},
      interrupted: status === 130,
    });
    const end = Date.now() + ROUND_NOTE_WAIT_MS;
    while ((await conn.llen(ROUNDS_ENDED_KEY)) > 0) {
      if (Date.now() > end) {
        print(
          `round ${crawlId}: the ingester did not write its rounds rows within ${ROUND_NOTE_WAIT_MS / 1000} s; it will when it runs again`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    print(`round ${crawlId}: rounds rows written`);
  } finally {
    await queue.close();
    conn.disconnect();
  }
}

const ROUND_NOTE_WAIT_MS = 30_000;

/** How long a service may take to stop after SIGTERM (the worker's own grace is 20 s). */
const STOP_GRACE_MS = 30_000;

async function waitForRound(
  redisUrl: string,
  crawlId: string,
  print: (s: string) => void,
  signal: AbortSignal,
): Promise<number> {
  const { Redis } = await import('ioredis');
  const { createCrawlQueue, Frontier, ingestBacklog, requeueLost } = await import('@bitcrawl/queue');
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const frontier = new Frontier(conn);
  const queue = createCrawlQueue(conn);
  let idleSince = 0;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (signal.aborted) return 130;
      const p = await frontier.progress(crawlId);
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const backlog = await ingestBacklog(conn);
      // Unvisited addresses and nothing queued for a while: a job was lost (e.g. the seeder
      // died between admitting and enqueueing); give those addresses jobs again.
      if (p.visited < p.seen && Object.values(c).every((n) => n === 0)) {
        idleSince ||= Date.now();
        if (Date.now() - idleSince >= 5000) {
          const { added, withJob } = await requeueLost({ frontier, crawlQueue: queue, redis: conn }, crawlId);
          if (added > 0) print(`round ${crawlId}: re-enqueued ${added} addresses whose jobs were lost`);
          // Retries used up on infrastructure errors: the round cannot visit them; say so and end.
          if (added === 0 && withJob > 0 && backlog === 0) {
            print(
              `round ${crawlId}: ${withJob} addresses left unvisited, their jobs failed (see Bull Board)`,
            );
            return 1;
          }
          idleSince = 0;
        }
      } else idleSince = 0;
      print(
        `round ${crawlId}: visited ${p.visited}/${p.seen}, reachable ${p.ok}, queued ${Object.values(c).reduce((a, b) => a + b, 0)}, ingest backlog ${backlog}`,
      );
      if (p.seen > 0 && p.visited === p.seen && Object.values(c).every((n) => n === 0) && backlog === 0)
        return 0;
    }
  } finally {
    await queue.close();
    conn.disconnect();
  }
}
