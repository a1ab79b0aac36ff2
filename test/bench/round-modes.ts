/**
 * One round of bench:round in one mode: `crawl --once` on the embedded store, the stack
 * (`stack --once`, clickhouse-server), or the notebook's threaded baseline. Each returns the
 * same figures, taken from /proc, the store, Redis and the command's own output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startClickHouse, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { descendantsNamed, type ProcFigures, watchTree } from './proc-tree.ts';
import { bin, parseProgress, query, run } from './round-cli.ts';
import {
  endedAs,
  ingestTail,
  memoryPoll,
  progressWatch,
  type RedisShares,
  redisShares,
  workerLagScraper,
} from './round-probes.ts';

export interface RoundFigures {
  mode: 'crawl' | 'crawl-v1' | 'stack' | 'baseline';
  /** How the command ended: "exit 0", or why not. */
  ended: string;
  roundS: number;
  /** Last reachable node found (its visit's start), after the first visit / after process start. */
  lastFoundS?: number;
  lastFoundFromStartS?: number;
  found: number;
  visits: number;
  /** Visits that ended ok, and those of them over BIP324 v2 (the rest were v1). */
  okVisits?: number;
  v2OkVisits?: number;
  connectP99Ms?: number;
  handshakeP99Ms?: number;
  procs: ProcFigures[];
  loopLagP99Ms?: number;
  loopLagSource?: string;
  /** Redis used_memory over the empty server's, per address the round saw: after it, and at its peak. */
  redisBytesPerAddress?: number;
  redisPeakBytesPerAddress?: number;
  /** At the end, what its keys hold per address (crawl: the stack's Redis is gone by then). */
  redisShares?: RedisShares;
  /** Ingest backlog when the last visit ended, and the seconds from then to the process's end. */
  backlogAtLastVisit?: number;
  ingestTailS?: number;
}

export interface Network {
  seeds: string[];
  /** Endpoints ("host:port") the ground truth expects to answer (outcome ok). */
  reachable: Set<string>;
}

async function storeFigures(
  where: { store: string } | { clickhouse: string },
  crawlId: string,
  net: Network,
  startedAt: number,
): Promise<
  Pick<
    RoundFigures,
    | 'lastFoundS'
    | 'lastFoundFromStartS'
    | 'found'
    | 'visits'
    | 'okVisits'
    | 'v2OkVisits'
    | 'connectP99Ms'
    | 'handshakeP99Ms'
  >
> {
  const [s] = await query(
    where,
    `SELECT count() AS visits, toString(min(ts_ms)) AS first_ms, toString(maxIf(ts_ms, outcome = 'ok')) AS last_ok_ms,
            quantileIf(0.99)(connect_ms, outcome NOT IN ('refused', 'connect_timeout', 'unreachable')) AS connect_p99,
            quantileIf(0.99)(handshake_ms, outcome = 'ok') AS handshake_p99,
            countIf(outcome = 'ok') AS ok_visits, countIf(outcome = 'ok' AND transport = 'v2') AS v2_ok_visits
     FROM observations WHERE crawl_id = '${crawlId}'`,
  );
  const ok = await query(
    where,
    `SELECT DISTINCT host, toString(port) AS port FROM observations WHERE crawl_id = '${crawlId}' AND outcome = 'ok'`,
  );
  const found = ok.filter((r) => net.reachable.has(`${r.host}:${r.port}`)).length;
  const first = Number(s?.first_ms);
  const lastOk = Number(s?.last_ok_ms);
  return {
    visits: Number(s?.visits ?? 0),
    okVisits: Number(s?.ok_visits ?? 0),
    v2OkVisits: Number(s?.v2_ok_visits ?? 0),
    found,
    ...(found > 0
      ? { lastFoundS: (lastOk - first) / 1000, lastFoundFromStartS: (lastOk - startedAt) / 1000 }
      : {}),
    connectP99Ms: Number(s?.connect_p99),
    handshakeP99Ms: Number(s?.handshake_p99),
  };
}

const seedArgs = (net: Network) => net.seeds.flatMap((s) => ['--seed', s]);

/**
 * `bitcrawl crawl --once`: seeder, worker and ingester in one process, on the embedded store;
 * with transport 'v1', `--transport v1` (the v2 nodes answered in plaintext: BIP324's cost).
 */
export async function crawlRound(net: Network, capS: number, transport?: 'v1'): Promise<RoundFigures> {
  // Like crawl's private redis-server (on its unix socket); given with --redis so this run can
  // read its memory.
  const redis = await startRedis({ socket: true });
  const conn = new Redis(redis.url);
  const store = mkdtempSync(path.join(tmpdir(), 'bench-round-store-'));
  const crawlId = `benchround${Date.now()}`;
  try {
    const memory = memoryPoll(() => conn);
    await memory.read();
    const progress = progressWatch();
    const servers = descendantsNamed(process.pid, /^redis-server$/);
    let tree: ReturnType<typeof watchTree> | undefined;
    let summary: Record<string, unknown> = {};
    const r = await run(
      process.execPath,
      [
        bin,
        'crawl',
        '--once',
        '--no-dns',
        '--allow-private',
        ...seedArgs(net),
        '--store',
        store,
        '--redis',
        redis.url,
        '--crawl-id',
        crawlId,
        ...(transport ? ['--transport', transport] : []),
        // A knob's other value, to compare (e.g. BENCH_CRAWL_ARGS='--pending-dials 0').
        ...(process.env.BENCH_CRAWL_ARGS ?? '').split(' ').filter(Boolean),
      ],
      {
        capMs: capS * 1000,
        onStart: (pid) => {
          tree = watchTree(pid, servers);
        },
        onLine: (line, at, stream) => {
          progress.line(line, at);
          if (stream === 'stdout' && line.startsWith('{')) summary = JSON.parse(line);
          else if (!parseProgress(line)) process.stderr.write(`  | ${line}\n`);
        },
      },
    );
    const procs = tree?.stop() ?? [];
    memory.stop();
    await memory.read();
    const status = await run(process.execPath, [bin, 'status', '--json', '--redis', redis.url], {
      capMs: 120_000,
    });
    const seen = Number(JSON.parse(status.stdout.split('\n')[0] || '{}')?.progress?.seen ?? progress.w.seen);
    const figures = await storeFigures({ store }, crawlId, net, r.startedAt);
    const lag = summary.loopLagP99Ms;
    return {
      mode: transport === 'v1' ? 'crawl-v1' : 'crawl',
      ended: endedAs(r, capS),
      roundS: (r.endedAt - r.startedAt) / 1000,
      ...figures,
      procs,
      ...(typeof lag === 'number' ? { loopLagP99Ms: lag, loopLagSource: 'crawl summary loopLagP99Ms' } : {}),
      ...memory.perAddress(seen),
      redisShares: await redisShares(conn, seen),
      ...ingestTail(progress.w, r),
    };
  } finally {
    conn.disconnect();
    await redis.stop();
    removeUnlessKept(store);
  }
}

/** The bench's temporary folders go when it is done with them; BENCH_KEEP=1 keeps them to look into. */
export function removeUnlessKept(dir: string): void {
  if (process.env.BENCH_KEEP === '1') console.log(`  kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/**
 * `bitcrawl stack --once`: redis-server, seeder, 2 workers, ingester and dashboard as processes.
 * The stack stops its clickhouse-server (and deletes its data) when the round is stored, so its
 * services are pointed at one the bench keeps (--env CLICKHOUSE_URL), counted in the tree; the
 * stack's own clickhouse-server idles (counted too, as part of the stack).
 */
export async function stackRound(net: Network, capS: number): Promise<RoundFigures> {
  const ch = await startClickHouse();
  const data = mkdtempSync(path.join(tmpdir(), 'bench-round-stack-'));
  try {
    const servers = descendantsNamed(process.pid, /clickhouse/);
    const progress = progressWatch();
    let tree: ReturnType<typeof watchTree> | undefined;
    let lag: ReturnType<typeof workerLagScraper> | undefined;
    let crawlId = '';
    let redis: Redis | undefined;
    // The stack's own Redis: read until the stack stops it (after the round is stored).
    const memory = memoryPoll(() => redis);
    const r = await run(
      process.execPath,
      [
        bin,
        'stack',
        '--once',
        '--no-dns',
        '--allow-private',
        ...seedArgs(net),
        '--dashboard-port',
        String(await freePort()),
        // The services write to the bench's clickhouse-server, read after the stack is gone;
        // the stack's own server (it always starts one) keeps its data out of the repository.
        '--env',
        `CLICKHOUSE_URL=${ch.url}`,
        '--data',
        data,
      ],
      {
        capMs: capS * 1000,
        onStart: (pid) => {
          tree = watchTree(pid, servers);
          const t = tree;
          lag = workerLagScraper(() => t.current());
        },
        onLine: (line, at) => {
          progress.line(line, at);
          const url = /^stack: redis (redis:\/\/[\d.:]+)/.exec(line)?.[1];
          if (url && !redis) {
            redis = new Redis(url, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              retryStrategy: () => null,
            });
            redis.on('error', () => {});
          }
          crawlId ||= /\bround (r\d{8}T\d{6}Z):/.exec(line)?.[1] ?? ''; // newCrawlId's form
          if (!parseProgress(line) && !/=running|=stopped|=exited/.test(line))
            process.stderr.write(`  | ${line}\n`);
        },
      },
    );
    memory.stop();
    redis?.disconnect();
    const procs = tree?.stop() ?? [];
    const figures = crawlId
      ? await storeFigures({ clickhouse: ch.url }, crawlId, net, r.startedAt)
      : { found: 0, visits: 0 };
    return {
      mode: 'stack',
      ended: endedAs(r, capS),
      roundS: (r.endedAt - r.startedAt) / 1000,
      ...figures,
      procs,
      ...(lag?.stop() ?? {}),
      ...memory.perAddress(progress.w.seen),
      ...ingestTail(progress.w, r),
    };
  } finally {
    await ch.stop();
    removeUnlessKept(data);
  }
}
