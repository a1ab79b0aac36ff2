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
import { OnceRound } from './once-round.ts';

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
  const redis: RedisServer = await startRedis({ appendonly: true, ownProcessGroup: true, socket: true });
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
  let seederEnded: (code: number) => void = () => {};
  const seederExit = new Promise<number>((r) => {
    seederEnded = r;
  });
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
    child.once('exit', async (code) => {
      s.exitCode = code;
      s.state = stopping ? 'stopped' : 'exited';
      if (!stopping && code === 2) {
        fatal ??= `${s.name} exited with status 2: its configuration is invalid (see its message above)`;
        stop.abort();
      }
      // The one-shot seeder (--once) exits when its round has ended, with the round's status;
      // one that died mid-round (the round still current) is restarted and resumes it.
      else if (!stopping && s.name === 'seeder' && round && !(await round.stillRunning().catch(() => true)))
        seederEnded(code ?? 1);
      else if (!stopping) {
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
  // --once: the seeder runs this one round (CRAWL_ID) and exits with its status.
  const round = o.once ? new OnceRound(redis.url, crawlId, print) : undefined;
  for (const s of services) start(s);
  show();

  const stopped = new Promise<undefined>((r) => {
    if (stop.signal.aborted) r(undefined);
    else stop.signal.addEventListener('abort', () => r(undefined), { once: true });
  });
  // SIGTERM, then SIGKILL for a service still running after STOP_GRACE_MS (one stuck on a
  // server that went away must not keep the stack, or outlive it).
  const stopService = (s: Service) =>
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
    });
  let status = 0;
  try {
    if (round) {
      const code = await round.progressUntil(Promise.race([seederExit, stopped]));
      if (code === undefined) {
        // Stopped before the round ended: the seeder notes it as interrupted as it stops.
        stopping = true;
        await Promise.all(services.filter((s) => s.name === 'seeder').map(stopService));
        status = 130;
      } else status = code === 0 ? 0 : 1; // 1: jobs failed for good (the seeder said how many)
      await round.rowsWritten();
    } else await stopped;
  } finally {
    stopping = true;
    await round?.close();
    await Promise.all(services.map(stopService));
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

/** How long a service may take to stop after SIGTERM (the worker's own grace is 20 s). */
const STOP_GRACE_MS = 30_000;
