/**
 * npm run bench:pipeline — the distributed pipeline on this machine, with real servers:
 *  1. wall time for one round over a simnet of 20,000 addresses (6,000 reachable) with 1, 2 and 4
 *     worker processes, and with 1 worker process on 2 crawl threads (THREADS=2), plus seeder
 *     and ingester processes, redis-server, clickhouse-server; each worker's peak RSS;
 *  2. frontier de-duplication checks/s (batches of 1000 addresses, 90% already seen);
 *  3. Redis bytes per tracked address;
 *  4. ingest rows/s on embedded chdb and on clickhouse-server.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { WORKER_V8_FLAGS } from '@bitcrawl/crawler/worker-flags';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, packAddrs, packedCount } from '@bitcrawl/protocol';
import { createCrawlQueue, Frontier, ingestBacklog } from '@bitcrawl/queue';
import { insertObservations, migrate, openStore, type Store } from '@bitcrawl/storage';
import { freePort, startClickHouse, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';

const root = path.resolve(import.meta.dirname, '../..');
// Every service runs from the CLI's esbuild bundle, as the Docker image runs them (the sources
// through tsx hold their compiled code and source maps too: 100+ MB more per worker).
execFileSync(process.execPath, [path.join(root, 'services/cli/build.mjs')], { stdio: 'inherit' });
const bin = path.join(root, 'services/cli/dist/bitcrawl.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-pipeline-'));
const REACHABLE = Number(process.env.BENCH_REACHABLE ?? 6000);
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}
const exited = (c: ChildProcess) =>
  new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())));

async function startSimnet(): Promise<{ seeds: string[]; total: number; stop: () => Promise<void> }> {
  const spec = path.join(dir, 'spec.json');
  writeFileSync(
    spec,
    JSON.stringify({
      seed: 5,
      nodes: REACHABLE,
      kinds: { core: 1 },
      ipv6: 0,
      onion: 0,
      i2p: 0,
      cjdns: 0,
      unreachableFraction: 0.7,
      table: { min: 100, max: 1500 },
      latencyMs: { min: 20, max: 100 },
    }),
  );
  const c = spawnCli([
    'simnet',
    '--spec',
    spec,
    '--ground-truth',
    path.join(dir, 'truth.ndjson'),
    '--duration',
    '3600',
  ]);
  let seeds: string[] = [];
  let total = 0;
  for await (const line of createInterface({ input: c.stdout! })) {
    const m = /simnet up: (\d+) addresses/.exec(line);
    if (m) total = Number(m[1]);
    if (line.startsWith('seeds: ')) seeds = line.slice(7).split(' ');
    if (line.startsWith('ground truth:')) break;
  }
  return {
    seeds,
    total,
    stop: async () => {
      c.kill('SIGTERM');
      await exited(c);
    },
  };
}

/** A process's peak RSS (VmHWM) in MB, from /proc (Linux). */
function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function round(
  workers: number,
  seeds: string[],
  redisUrl: string,
  chUrl: string,
  threads = 1,
): Promise<{ seconds: number; visited: number; ok: number; peakRssMb: number[] }> {
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  await conn.flushall();
  const crawlId = `bench${workers}x${threads}`;
  const env = {
    REDIS_URL: redisUrl,
    CONCURRENCY: String(Math.floor(1000 / workers) + 100),
    THREADS: String(threads),
    // As docker-compose.yml runs a worker: its old-generation cap and WORKER_V8_FLAGS.
    NODE_OPTIONS: ['--max-old-space-size=512', ...WORKER_V8_FLAGS].join(' '),
    ALLOW_PRIVATE: 'true',
    CONNECT_TIMEOUT_MS: '3000',
    HANDSHAKE_TIMEOUT_MS: '5000',
    GETADDR_TIMEOUT_MS: '5000',
    IDLE_TIMEOUT_MS: '500',
  };
  const ingester = spawnCli(['ingester'], {
    REDIS_URL: redisUrl,
    CLICKHOUSE_URL: chUrl,
    METRICS_PORT: String(await freePort()),
  });
  const ws = await Promise.all(
    Array.from({ length: workers }, async () =>
      spawnCli(['worker'], { ...env, METRICS_PORT: String(await freePort()) }),
    ),
  );
  const start = performance.now();
  const seeder = spawnCli(['seeder'], {
    REDIS_URL: redisUrl,
    SEEDS: seeds.join(','),
    DNS: 'false',
    CRAWL_ID: crawlId,
  });
  const frontier = new Frontier(conn);
  const queue = createCrawlQueue(conn);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const p = await frontier.progress(crawlId);
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (p.seen > 0 && p.visited === p.seen && Object.values(c).every((n) => n === 0)) break;
  }
  const seconds = (performance.now() - start) / 1000;
  while ((await ingestBacklog(conn)) > 0) await new Promise((r) => setTimeout(r, 200));
  await exited(seeder); // the one-shot seeder ends with its round, once it is stored
  const p = await frontier.progress(crawlId);
  const peaks = ws.map((w) => peakRssMb(w.pid));
  for (const w of [...ws, ingester]) w.kill('SIGTERM');
  await Promise.all([...ws, ingester].map(exited));
  await queue.close();
  conn.disconnect();
  return { seconds, visited: p.visited, ok: p.ok, peakRssMb: peaks };
}

async function dedupAndMemory(redisUrl: string) {
  const redis = new Redis(redisUrl);
  await redis.flushall();
  const f = new Frontier(redis);
  const addr = (i: number) => ({
    network: 'ipv4' as const,
    host: `${(i >> 24) & 255}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 8333,
  });
  const base = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const N = 100_000;
  for (let i = 0; i < N; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => addr(16_777_216 + i + j));
    await f.admit('mem', batch);
    await Promise.all(
      batch.map((a) =>
        f.record({
          ts: Date.now(),
          crawlId: 'mem',
          ...a,
          outcome: 'ok',
          error: '',
          peer: null,
          connectMs: 1,
          handshakeMs: 1,
          addrs: EMPTY_PACKED,
        }),
      ),
    );
  }
  await redis.del('bitcrawl:observations'); // the stream is drained by the ingester in real runs
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  // de-duplication: answers of 1000 addresses of which 900 were already seen
  let checks = 0;
  const t = performance.now();
  for (let k = 0; performance.now() - t < 3000; k++) {
    const batch = Array.from({ length: 1000 }, (_, j) =>
      addr(16_777_216 + (j < 900 ? (k * 7919 + j) % N : N + k * 100 + j)),
    );
    await f.admit('mem', batch);
    checks += batch.length;
  }
  const perSec = checks / ((performance.now() - t) / 1000);
  redis.disconnect();
  return { bytesPerAddress: (used - base) / N, checksPerSec: perSec };
}

function syntheticObservations(n: number): Observation[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: Date.now(),
    crawlId: 'ingest',
    network: 'ipv4',
    host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 8333,
    outcome: i % 3 === 0 ? 'refused' : 'ok',
    error: '',
    peer:
      i % 3 === 0
        ? null
        : {
            protocolVersion: 70016,
            services: 3081n,
            userAgent: '/Satoshi:31.0.0/',
            startHeight: 900000,
            relay: true,
            clockOffsetS: 0,
          },
    connectMs: 10,
    handshakeMs: 20,
    addrs: packAddrs(
      Array.from({ length: i % 3 === 0 ? 0 : 50 }, (_, j) => ({
        network: 'ipv4' as const,
        host: `11.0.${i & 255}.${j}`,
        port: 8333,
        services: 1033n,
        time: 1_790_000_000,
      })),
    ),
  }));
}

async function ingestRate(store: Store): Promise<number> {
  await migrate(store);
  const batch = syntheticObservations(5000);
  const rows = batch.length + batch.reduce((s, o) => s + packedCount(o.addrs), 0);
  const t = performance.now();
  let total = 0;
  for (let i = 0; i < 4; i++) {
    await insertObservations(
      store,
      batch.map((o) => ({ ...o, crawlId: `ingest${i}` })),
    );
    total += rows;
  }
  return total / ((performance.now() - t) / 1000);
}

const [redis, ch] = await Promise.all([startRedis(), startClickHouse()]);
const sim = await startSimnet();
try {
  console.log(
    `simnet: ${sim.total} addresses, ${REACHABLE} reachable (Core-like, 20-100 ms latency per burst); redis-server ${redis.url}; clickhouse-server 18.16`,
  );
  for (const [n, threads] of [
    [1, 1],
    [1, 2],
    [2, 1],
    [4, 1],
  ] as const) {
    const r = await round(n, sim.seeds, redis.url, ch.url, threads);
    console.log(
      `round with ${n} worker process(es)${threads > 1 ? ` on ${threads} crawl threads` : ''}: ${r.seconds.toFixed(1)} s  ` +
        `(${r.visited} visited, ${r.ok} reachable, ${(r.visited / r.seconds).toFixed(0)} visits/s; ` +
        `worker peak RSS ${r.peakRssMb.map((mb) => mb.toFixed(0)).join(', ')} MB)`,
    );
  }
  const m = await dedupAndMemory(redis.url);
  console.log(`frontier de-duplication: ${m.checksPerSec.toFixed(0)} checks/s (batches of 1000, 90% known)`);
  console.log(
    `redis memory: ${m.bytesPerAddress.toFixed(0)} bytes per tracked address (the round hash bitcrawl:round:ID:addrs and the revisit hash bitcrawl:addr:revisit)`,
  );
  const chdbStore = await openStore({ dir: path.join(dir, 'chdb') });
  console.log(`ingest on chdb: ${(await ingestRate(chdbStore)).toFixed(0)} rows/s (observations + gossip)`);
  await chdbStore.close();
  const server = await openStore({ url: ch.url });
  console.log(`ingest on clickhouse-server 18.16: ${(await ingestRate(server)).toFixed(0)} rows/s`);
  await server.close();
  console.log(
    "note: every process (simnet, workers, ingester, redis, clickhouse) shares this machine's 2 cores",
  );
} finally {
  await sim.stop();
  await Promise.all([redis.stop(), ch.stop()]);
}
