/**
 * One round of bench:round in one mode: `crawl --once` on the embedded store, the stack
 * (`stack --once`, clickhouse-server), or the notebook's threaded baseline. Each returns the
 * same figures, taken from /proc, the store, Redis and the command's own output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startClickHouse, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { descendantsNamed, type ProcFigures, processEnv, watchTree } from './proc-tree.ts';
import { bin, bundle, parseProgress, query, type Ran, root, run } from './round-cli.ts';

export interface RoundFigures {
  mode: 'crawl' | 'stack' | 'baseline';
  /** How the command ended: "exit 0", or why not. */
  ended: string;
  roundS: number;
  /** Last reachable node found (its visit's start), after the first visit / after process start. */
  lastFoundS?: number;
  lastFoundFromStartS?: number;
  found: number;
  visits: number;
  connectP99Ms?: number;
  handshakeP99Ms?: number;
  procs: ProcFigures[];
  loopLagP99Ms?: number;
  loopLagSource?: string;
  /** Redis used_memory over the empty server's, per address the round saw: after it, and at its peak. */
  redisBytesPerAddress?: number;
  redisPeakBytesPerAddress?: number;
  /** Ingest backlog when the last visit ended, and the seconds from then to the process's end. */
  backlogAtLastVisit?: number;
  ingestTailS?: number;
}

export interface Network {
  seeds: string[];
  /** Endpoints ("host:port") the ground truth expects to answer (outcome ok). */
  reachable: Set<string>;
}

/** Progress lines: when and with what backlog the last visit ended; the largest "seen". */
function progressWatch() {
  const w = { seen: 0, lastVisitAt: 0, backlog: undefined as number | undefined };
  return {
    w,
    line(line: string, at: number) {
      const p = parseProgress(line);
      if (!p) return;
      w.seen = Math.max(w.seen, p.seen);
      if (!w.lastVisitAt && p.seen > 0 && p.visited >= p.seen && p.queued === 0) {
        w.lastVisitAt = at;
        w.backlog = p.backlog;
      }
    },
  };
}

/** Polls a Redis's used_memory each second: the first reading (empty), the last and the largest. */
function memoryPoll(conn: () => Redis | undefined) {
  const m = { empty: Number.NaN, last: Number.NaN, peak: Number.NaN };
  const read = async () => {
    try {
      const info = await conn()?.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info ?? '')?.[1]);
      if (!Number.isFinite(used)) return;
      if (Number.isNaN(m.empty)) m.empty = used;
      m.last = used;
      m.peak = Number.isNaN(m.peak) ? used : Math.max(m.peak, used);
    } catch {}
  };
  const timer = setInterval(read, 1_000);
  return {
    read,
    stop: () => clearInterval(timer),
    perAddress(seen: number) {
      if (!(seen > 0) || !Number.isFinite(m.last - m.empty)) return {};
      return {
        redisBytesPerAddress: (m.last - m.empty) / seen,
        redisPeakBytesPerAddress: (m.peak - m.empty) / seen,
      };
    },
  };
}

const ended = (r: Ran, capS: number) =>
  r.capped ? `killed at the ${capS} s cap` : r.code === 0 ? 'exit 0' : `exit ${r.code ?? r.signal}`;

async function storeFigures(
  where: { store: string } | { clickhouse: string },
  crawlId: string,
  net: Network,
  startedAt: number,
): Promise<
  Pick<
    RoundFigures,
    'lastFoundS' | 'lastFoundFromStartS' | 'found' | 'visits' | 'connectP99Ms' | 'handshakeP99Ms'
  >
> {
  const [s] = await query(
    where,
    `SELECT count() AS visits, toString(min(ts_ms)) AS first_ms, toString(maxIf(ts_ms, outcome = 'ok')) AS last_ok_ms,
            quantileIf(0.99)(connect_ms, outcome NOT IN ('refused', 'connect_timeout', 'unreachable')) AS connect_p99,
            quantileIf(0.99)(handshake_ms, outcome = 'ok') AS handshake_p99
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
    found,
    ...(found > 0
      ? { lastFoundS: (lastOk - first) / 1000, lastFoundFromStartS: (lastOk - startedAt) / 1000 }
      : {}),
    connectP99Ms: Number(s?.connect_p99),
    handshakeP99Ms: Number(s?.handshake_p99),
  };
}

const seedArgs = (net: Network) => net.seeds.flatMap((s) => ['--seed', s]);

/** `bitcrawl crawl --once`: seeder, worker and ingester in one process, on the embedded store. */
export async function crawlRound(net: Network, capS: number, useBundle: boolean): Promise<RoundFigures> {
  const redis = await startRedis();
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
        useBundle ? bundle : bin,
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
      mode: 'crawl',
      ended: ended(r, capS),
      roundS: (r.endedAt - r.startedAt) / 1000,
      ...figures,
      procs,
      ...(typeof lag === 'number' ? { loopLagP99Ms: lag, loopLagSource: 'crawl summary loopLagP99Ms' } : {}),
      ...memory.perAddress(seen),
      ...tail(progress.w, r),
    };
  } finally {
    conn.disconnect();
    await redis.stop();
  }
}

const tail = (w: ReturnType<typeof progressWatch>['w'], r: Ran) =>
  w.lastVisitAt
    ? { backlogAtLastVisit: w.backlog ?? 0, ingestTailS: (r.endedAt - w.lastVisitAt) / 1000 }
    : {};

/** Event-loop lag p99 of each worker, from its /metrics (the largest sample over the round). */
function workerLagScraper(tree: () => ProcFigures[]) {
  let maxS: number | undefined;
  let source: string | undefined;
  const timer = setInterval(async () => {
    for (const p of tree().filter((x) => x.name === 'node worker')) {
      const port = processEnv(p.pid, 'METRICS_PORT');
      if (!port) continue;
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m =
          /^(bitcrawl_event_loop_lag_p99_seconds|bitcrawl_process_nodejs_eventloop_lag_p99_seconds)(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(
            text,
          );
        if (m) {
          source = `max over the round of worker /metrics ${m[1]}`;
          maxS = Math.max(maxS ?? 0, Number(m[2]));
        }
      } catch {}
    }
  }, 2_000);
  return {
    stop() {
      clearInterval(timer);
      return maxS === undefined ? {} : { loopLagP99Ms: maxS * 1000, loopLagSource: source as string };
    },
  };
}

/**
 * `bitcrawl stack --once`: redis-server, seeder, 2 workers, ingester and dashboard as processes.
 * The stack stops its clickhouse-server (and deletes its data) when the round is stored, so its
 * services are pointed at one the bench keeps (--env CLICKHOUSE_URL), counted in the tree; the
 * stack's own clickhouse-server idles (counted too, as part of the stack).
 */
export async function stackRound(net: Network, capS: number): Promise<RoundFigures> {
  const ch = await startClickHouse();
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
        '--env',
        `CLICKHOUSE_URL=${ch.url}`,
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
          crawlId ||= /round (stack\d+):/.exec(line)?.[1] ?? '';
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
      ended: ended(r, capS),
      roundS: (r.endedAt - r.startedAt) / 1000,
      ...figures,
      procs,
      ...(lag?.stop() ?? {}),
      ...memory.perAddress(progress.w.seen),
      ...tail(progress.w, r),
    };
  } finally {
    await ch.stop();
  }
}

/**
 * The notebook's threaded crawler (50 threads, a queue of addresses, each worker visits and
 * queues what `addr` answers bring), discovering from the same seeds.
 */
export async function baselineRound(net: Network, capS: number): Promise<RoundFigures> {
  let tree: ReturnType<typeof watchTree> | undefined;
  // The interpreter itself, not a wrapper (pyenv's shims are bash scripts that stay in the tree).
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
  const r = await run(
    python,
    [path.join(root, 'packages/crawler/bench/baseline_threaded.py'), 'f9beb4d9', '50', '--discover'],
    {
      capMs: capS * 1000,
      stdin: net.seeds.map((s) => s.replace(/:(\d+)$/, ' $1')).join('\n'),
      onStart: (pid) => {
        tree = watchTree(pid);
      },
    },
  );
  const procs = tree?.stop() ?? [];
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) || '{}') as {
    visits?: number;
    found?: string[];
    first_visit_s?: number;
    last_found_s?: number;
  };
  const found = (out.found ?? []).filter((e) => net.reachable.has(e)).length;
  return {
    mode: 'baseline',
    ended: ended(r, capS),
    roundS: (r.endedAt - r.startedAt) / 1000,
    ...(out.last_found_s !== undefined
      ? { lastFoundS: out.last_found_s - (out.first_visit_s ?? 0), lastFoundFromStartS: out.last_found_s }
      : {}),
    found,
    visits: out.visits ?? 0,
    procs,
  };
}
