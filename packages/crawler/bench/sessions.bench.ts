/**
 * npm run bench:sessions — one crawler process (crawler-client.ts) against a simnet of 10,000
 * reachable nodes (its own process), 2,000 concurrent sessions, BENCH_PASSES (3) passes over
 * the nodes per run, BENCH_RUNS times (3; the median run is reported), on BENCH_THREADS (2)
 * crawl threads as a worker with THREADS=2 runs them, and the same on one thread; then the seed
 * notebook's threaded design (python3, 50 blocking threads) against the same simnet; then the
 * rig's ceiling (ceiling-client.ts: no checksums, no decoding) to read both against. The two
 * Node clients run as esbuild bundles on plain node, as the Docker image runs the worker, with
 * the worker's V8 flags (WORKER_V8_FLAGS, as docker-compose.yml sets them), heap capped at 256 MB.
 *
 * Sessions/s is read two ways, for every client alike: over the whole run, and steady (ok
 * sessions per second between the 10th and 90th percentile of their completion times, the
 * rate a worker holds on a long queue). The ratio to the baseline is the steady one; the
 * whole-run one is printed next to it.
 *
 * BENCH_SIMNET_CPUS / BENCH_CRAWLER_CPUS (taskset lists, e.g. "2,3" and "0,1") pin the simnet
 * and the clients to separate cores on a machine that has them; by default all share.
 *
 * BENCH_V2=1 makes every simnet node speak BIP324 v2 (and v1, as Core) and runs the crawler
 * over v1 and over v2, alternating run by run, to print what v2 costs: sessions/s and CPU per
 * session of each, and their ratio (no baseline or ceiling in that mode).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { WORKER_SEMI_SPACE_MB, WORKER_V8_FLAGS } from '../src/worker-flags.ts';
import { bundleClient } from './bundle.ts';
import type { DriveResult } from './drive.ts';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2_000);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 30);
/** Crawler runs; the median one (by sessions/s) is reported, with the range (runs vary ~10% here). */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
/** Passes over the nodes per crawler run: 30,000 sessions, so start and drain are a small part. */
const PASSES = Math.max(1, Math.floor(Number(process.env.BENCH_PASSES ?? 3)));
/**
 * The worker's V8 flags (WORKER_V8_FLAGS, as docker-compose.yml sets them) with the heap capped
 * at 256 MB to show the bound. BENCH_SEMI_SPACE_MB overrides the semi-space to compare.
 */
const CLIENT_V8_FLAGS = [
  '--max-old-space-size=256',
  ...WORKER_V8_FLAGS.filter((f) => !f.startsWith('--max-old-space-size=')).map((f) =>
    process.env.BENCH_SEMI_SPACE_MB && f.startsWith('--max-semi-space-size=')
      ? `--max-semi-space-size=${Number(process.env.BENCH_SEMI_SPACE_MB)}`
      : f,
  ),
];
/** Crawl threads in the crawler process (a worker's THREADS); the one-thread figures are printed too. */
const THREADS = Math.max(1, Math.floor(Number(process.env.BENCH_THREADS ?? 2)));
const V2 = process.env.BENCH_V2 === '1';
const SIMNET_CPUS = process.env.BENCH_SIMNET_CPUS;
const CRAWLER_CPUS = process.env.BENCH_CRAWLER_CPUS;
const root = path.resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-bench-'));

interface Target {
  network: 'ipv4';
  host: string;
  port: number;
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Reads only the endpoints from the NDJSON ground truth, so its answers do not inflate our RSS. */
async function readTargets(file: string): Promise<Target[]> {
  const out: Target[] = [];
  let first = true;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (first || !line) {
      first = false;
      continue;
    }
    const n = JSON.parse(line) as Target;
    // The baseline and the ceiling dial what they are given, with no policy: only 127/8 literals.
    if (n.network !== 'ipv4' || !LOOPBACK_V4.test(n.host))
      throw new Error(`bench target ${n.host}:${n.port} (${n.network}) is not a 127.0.0.0/8 address`);
    out.push({ network: n.network, host: n.host, port: n.port });
  }
  return out;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
}

/** Jiffies the whole machine spent [busy, in all] since boot, from /proc/stat (Linux). */
function machineJiffies(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
  return [total - (f[3] ?? 0) - (f[4] ?? 0), total];
}

/** The command, under `taskset -c CPUS` when CPUS is given. */
function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
}

async function startSimnetProcess(): Promise<{
  targets: Target[];
  edges: number;
  pid: number;
  stop: () => void;
}> {
  const specPath = path.join(dir, 'spec.json');
  const truthPath = path.join(dir, 'truth.json');
  writeFileSync(
    specPath,
    JSON.stringify({
      seed: 11,
      nodes: NODES,
      kinds: { core: 1 },
      unreachableFraction: 0,
      ipv6: 0, // IPv4 only, and nothing the raw-socket clients would have to resolve or route
      onion: 0,
      i2p: 0,
      cjdns: 0,
      table: { min: 200, max: 2000 }, // answers of 46-460 addresses
      latencyMs: { min: 50, max: 250 }, // per burst, so round trips of ~100-500 ms as on the internet
      selfAnnounce: 0.5,
      port: 18333, // not the tests' 8333, so a benchmark never collides with a test run
      ipv6BasePort: 50_000,
      ...(V2 ? { transports: { v2: 1 } } : {}),
    }),
  );
  const child = spawn(
    ...pinned(SIMNET_CPUS, process.execPath, [
      // e.g. BENCH_SIMNET_NODE_ARGS=--cpu-prof to profile the simnet side
      ...(process.env.BENCH_SIMNET_NODE_ARGS ?? '').split(' ').filter(Boolean),
      path.join(root, 'services/cli/bin/bitcrawl.mjs'),
      'simnet',
      '--spec',
      specPath,
      '--ground-truth',
      truthPath,
      '--duration',
      '900',
    ]),
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' }, // the simnet is not the process under test
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  // Ctrl-C must not leave the simnet holding its 10,000 ports for its whole --duration.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const lines = createInterface({ input: child.stdout! });
  let edges = 0;
  for await (const line of lines) {
    const m = /(\d+) gossip edges/.exec(line);
    if (m) edges = Number(m[1]);
    if (line.startsWith('ground truth:')) break;
  }
  return {
    targets: await readTargets(truthPath),
    edges,
    pid: child.pid as number,
    stop: () => child.kill('SIGTERM'),
  };
}

interface ClientRun extends DriveResult {
  simCpuMsPerSession: number;
  /** Share of all the machine's cores that were busy while the client ran (every process). */
  machineBusy: number;
}

/** One client process over every target; the simnet's CPU is read around it. */
async function runClient(
  script: string,
  targetsFile: string,
  simnetPid: number,
  passes: number,
  threads = 1,
  transport = 'v1',
): Promise<ClientRun> {
  const simCpu0 = processCpuMs(simnetPid);
  const jiffies0 = machineJiffies();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      ...pinned(CRAWLER_CPUS, process.execPath, [
        ...CLIENT_V8_FLAGS,
        // e.g. BENCH_CLIENT_NODE_ARGS=--cpu-prof to profile the crawler and ceiling clients
        ...(process.env.BENCH_CLIENT_NODE_ARGS ?? '').split(' ').filter(Boolean),
        script,
        'mainnet',
        String(CONCURRENCY),
        targetsFile,
        String(passes),
        String(threads),
      ]),
      {
        env: { ...process.env, NODE_OPTIONS: '', BENCH_TRANSPORT: transport },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
    });
    child.on('close', (code) => {
      process.off('exit', onExit);
      if (code === 0) resolve(text);
      else reject(new Error(`${path.basename(script)} exited ${code}`));
    });
  });
  const jiffies1 = machineJiffies();
  const run = JSON.parse(out.trim().split('\n').pop() as string) as DriveResult;
  return {
    ...run,
    simCpuMsPerSession: (processCpuMs(simnetPid) - simCpu0) / run.visits,
    // Over the client's whole life (start-up included), so a little below the crawl's own share.
    machineBusy: (jiffies1[0] - jiffies0[0]) / Math.max(1, jiffies1[1] - jiffies0[1]),
  };
}

function runBaseline(targets: Target[], magicHex: string) {
  return new Promise<{
    visits: number;
    ok: number;
    seconds: number;
    steady_rate: number;
    peak_rss_mb: number;
  }>((resolve, reject) => {
    const child = spawn(
      ...pinned(CRAWLER_CPUS, 'python3', [
        path.join(import.meta.dirname, 'baseline_threaded.py'),
        magicHex,
        '50',
      ]),
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.pipe(process.stderr);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`baseline exited ${code}`)),
    );
    // As many targets as 50 threads can plausibly visit in BASELINE_SECONDS (it is timed per visit anyway).
    const n = Math.min(targets.length, BASELINE_SECONDS * 100);
    child.stdin.end(
      targets
        .slice(0, n)
        .map((t) => `${t.host} ${t.port}\n`)
        .join(''),
    );
  });
}

/** BENCH_V2: the crawler over v1 and over v2 against the same v2 simnet, alternating run by run. */
async function compareTransports(script: string, targetsFile: string, simPid: number): Promise<void> {
  const by: Record<'v1' | 'v2-first', ClientRun[]> = { v1: [], 'v2-first': [] };
  for (let i = 0; i < RUNS; i++) {
    for (const t of ['v1', 'v2-first'] as const)
      by[t].push(await runClient(script, targetsFile, simPid, PASSES, THREADS, t));
  }
  const med = (rs: ClientRun[]) =>
    [...rs].sort((a, b) => a.steadyRate - b.steadyRate)[Math.floor(rs.length / 2)] as ClientRun;
  const [v1, v2] = [med(by.v1), med(by['v2-first'])];
  console.log('');
  console.log(
    'transport   visits     ok  steady sessions/s  whole  CPU ms/session (crawler)  main thread  simnet ms  JS ms  RSS MB',
  );
  for (const [name, r] of [
    ['v1', v1],
    ['v2', v2],
  ] as const)
    console.log(
      `${name.padEnd(9)} ${String(r.visits).padStart(8)} ${String(r.ok).padStart(6)} ${r.steadyRate.toFixed(0).padStart(18)} ${(r.ok / r.seconds).toFixed(0).padStart(6)} ${r.cpuMsPerSession.toFixed(2).padStart(25)} ${(r.mainCpuMsPerSession ?? Number.NaN).toFixed(2).padStart(12)} ${r.simCpuMsPerSession.toFixed(2).padStart(10)} ${r.busyMsPerSession.toFixed(2).padStart(6)} ${r.rssMb.toFixed(0).padStart(7)}`,
    );
  console.log(
    `v2 / v1: ${(v2.cpuMsPerSession / v1.cpuMsPerSession).toFixed(1)}x the crawler's CPU per session (target <= 2x), ` +
      `${(v2.steadyRate / v1.steadyRate).toFixed(2)}x the steady sessions/s; medians of ${RUNS} run(s) each of ${PASSES} pass(es) over ` +
      `${NODES} nodes at ${CONCURRENCY} concurrent on ${THREADS} thread(s); all runs (steady sessions/s, CPU ms): ` +
      `v1 ${by.v1.map((r) => `${r.steadyRate.toFixed(0)}/${r.cpuMsPerSession.toFixed(2)}`).join(', ')}; ` +
      `v2 ${by['v2-first'].map((r) => `${r.steadyRate.toFixed(0)}/${r.cpuMsPerSession.toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `main thread: the crawler's JS thread alone on a core (its syscalls included; with 1 thread the rest is V8's helper threads: GC, compilers); ` +
      `the simnet's nodes keep one v2 key each (see packages/simnet/src/v2-node.ts), so its figure is its ECDH, not key generation; node ${process.version}`,
  );
}

const [crawlerScript, ceilingScript] = [
  await bundleClient('crawler-client.ts'),
  await bundleClient('ceiling-client.ts'),
];
const sim = await startSimnetProcess();
try {
  console.log(
    `simnet: ${sim.targets.length} reachable nodes, ${sim.edges} gossip edges, 50-250 ms latency per burst`,
  );
  // Warm-up: one visit to every node first, so the crawler and the ceiling below both meet a
  // simnet whose code is compiled and whose per-node version bursts are cached (its getaddr
  // answers it encodes at start, as Core has its answer cached for a day).
  const targetsFile = path.join(dir, 'targets.txt');
  writeFileSync(targetsFile, sim.targets.map((t) => `${t.host} ${t.port}\n`).join(''));
  await runClient(ceilingScript, targetsFile, sim.pid, 1);
  if (V2) {
    await compareTransports(crawlerScript, targetsFile, sim.pid);
    process.exit(0);
  }
  // Threaded and one-thread runs alternate, so a drift in the machine's speed hits both alike.
  const runs: ClientRun[] = [];
  const single: ClientRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await runClient(crawlerScript, targetsFile, sim.pid, PASSES, THREADS));
    if (THREADS > 1) single.push(await runClient(crawlerScript, targetsFile, sim.pid, PASSES, 1));
  }
  const median = (rs: ClientRun[]) => {
    rs.sort((a, b) => a.steadyRate - b.steadyRate);
    return rs[Math.floor(rs.length / 2)] as ClientRun;
  };
  const ours = median(runs);
  const oursSingle = single.length > 0 ? median(single) : undefined;
  const base = await runBaseline(sim.targets, 'f9beb4d9');
  const ceiling = await runClient(ceilingScript, targetsFile, sim.pid, PASSES);
  // Rates count completed sessions (outcome ok), so a client that fails fast cannot look fast.
  const ourRate = ours.steadyRate;
  const baseRate = base.steady_rate;
  const ceilingRate = ceiling.steadyRate;
  const whole = (r: { ok: number; seconds: number }) => r.ok / r.seconds;
  const rss = (mb: number) => (mb > 0 ? mb.toFixed(0) : 'n/a'); // n/a: never reached CONCURRENCY
  console.log('');
  const row = (
    name: string,
    r: { visits: number; ok: number; seconds: number },
    steady: number,
    peak: number,
    rssMb: string,
  ) =>
    console.log(
      `${name.padEnd(26)} ${String(r.visits).padStart(6)} ${String(r.ok).padStart(6)} ${r.seconds.toFixed(1).padStart(8)} ${steady.toFixed(0).padStart(7)} ${whole(r).toFixed(0).padStart(7)} ${String(peak).padStart(6)} ${rssMb.padStart(7)}`,
    );
  console.log('                            visits     ok  seconds  steady   whole   peak  RSS MB');
  console.log('                                                    sessions/s    concurrent');
  // The RSS shown is the highest of all runs, not the median run's: a bound must hold every time.
  const worstRss = Math.max(...runs.map((r) => r.rssMb));
  const label = (n: number) => `bitcrawl (${n} thread${n > 1 ? 's' : ''})`;
  row(label(THREADS), ours, ourRate, ours.peak, rss(worstRss));
  if (oursSingle)
    row(
      label(1),
      oursSingle,
      oursSingle.steadyRate,
      oursSingle.peak,
      rss(Math.max(...single.map((r) => r.rssMb))),
    );
  row('threaded baseline (50)', base, baseRate, 50, base.peak_rss_mb.toFixed(0));
  row('rig ceiling (headers only)', ceiling, ceilingRate, ceiling.peak, '');
  console.log(
    `steady: ok sessions/s between the 10th and 90th percentile of completions; whole: over the run, start and drain included`,
  );
  console.log(
    `bitcrawl's RSS is its highest sample while ${CONCURRENCY} sessions were in flight, in any run ` +
      `(${runs.map((r) => rss(r.rssMb)).join(', ')} MB); the baseline's is its peak`,
  );
  const all = (rs: ClientRun[]) =>
    rs.map((r) => `${r.steadyRate.toFixed(0)}/${whole(r).toFixed(0)}`).join(', ');
  console.log(
    `bitcrawl: one process, ${CONCURRENCY} concurrent sessions on ${THREADS} crawl thread(s) (a worker's THREADS; ` +
      `each thread its share of the sessions and its own event loop); the median of ${runs.length} runs of ` +
      `${PASSES} passes over the nodes; all runs (steady/whole): ${all(runs)} sessions/s` +
      (oursSingle ? `; on 1 thread: ${all(single)}` : ''),
  );
  console.log(
    `addresses harvested by bitcrawl: ${ours.addrs}; node ${process.version}; clients run as esbuild bundles with ${CLIENT_V8_FLAGS.join(' ')}` +
      (THREADS > 1
        ? ` (bitcrawl's crawl thread${THREADS > 2 ? 's' : ''} beside the main thread with a ${Math.floor(WORKER_SEMI_SPACE_MB / THREADS)} MB semi-space, as a worker sizes them)`
        : ''),
  );
  console.log(
    SIMNET_CPUS || CRAWLER_CPUS
      ? `pinned: simnet on CPUs ${SIMNET_CPUS ?? 'any'}, crawler, baseline and ceiling on ${CRAWLER_CPUS ?? 'any'}`
      : `note: the simnet shares the machine's ${availableParallelism()} cores with the clients, so every figure includes its CPU`,
  );
  console.log(
    `crawler RSS before the crawl (node, code, targets${THREADS > 1 ? '; before its threads start' : ''}): ${ours.rssBeforeMb.toFixed(0)} MB; at ${CONCURRENCY} concurrent: ${rss(worstRss)} MB (the highest of the runs)`,
  );
  console.log(
    `CPU per session (all threads, GC and kernel included): bitcrawl ${ours.cpuMsPerSession.toFixed(2)} ms, simnet ${ours.simCpuMsPerSession.toFixed(2)} ms ` +
      `(${(ours.addrs / ours.visits).toFixed(0)} addresses per answer)`,
  );
  console.log(
    `CPU per session, rig ceiling: client ${ceiling.cpuMsPerSession.toFixed(2)} ms, simnet ${ceiling.simCpuMsPerSession.toFixed(2)} ms`,
  );
  // A busy share near 100% means the crawler's one JS thread set the rate: sessions/s is then
  // about 1 / (its main-thread ms per session), whatever cores the simnet or GC threads have.
  // Each thread runs 1/THREADS of the visits: its busy time over its own visits.
  console.log(
    `event loop busy during the crawl: bitcrawl ${(100 * ours.eventLoopBusy).toFixed(0)}%` +
      `${THREADS > 1 ? ' (the busier thread)' : ''} ` +
      `(${ours.busyMsPerSession.toFixed(2)} ms of JS thread per session), ` +
      `rig ceiling ${(100 * ceiling.eventLoopBusy).toFixed(0)}%`,
  );
  if (oursSingle)
    console.log(
      `bitcrawl on 1 thread: ${oursSingle.cpuMsPerSession.toFixed(2)} ms CPU per session, event loop busy ` +
        `${(100 * oursSingle.eventLoopBusy).toFixed(0)}%: one JS thread is the limit there; the machine's cores ` +
        `(simnet included) were ${(100 * oursSingle.machineBusy).toFixed(0)}% busy (with ${THREADS} threads: ${(100 * ours.machineBusy).toFixed(0)}%)`,
    );
  const schedOf = oursSingle ?? ours;
  if (schedOf.mainCpuMsPerSession !== null && schedOf.mainWaitMsPerSession !== null)
    // Busy wall time = on a core + runnable but waiting for one. A large wait with the machine
    // near 100% busy means the cores (shared with the simnet and V8's GC threads) set the rate.
    console.log(
      `bitcrawl's JS thread per session (1-thread run): ${schedOf.mainCpuMsPerSession.toFixed(2)} ms on a core, ` +
        `${schedOf.mainWaitMsPerSession.toFixed(2)} ms runnable but waiting for one; ` +
        `the machine's ${availableParallelism()} cores were ${(100 * schedOf.machineBusy).toFixed(0)}% busy during the run`,
    );
  console.log(
    `ratio: ${(ourRate / baseRate).toFixed(1)}x the baseline's steady sessions/s (target >= 20x); ` +
      `over the whole runs ${(whole(ours) / whole(base)).toFixed(1)}x; RSS target <= 300 MB` +
      (oursSingle
        ? `; on 1 thread ${(oursSingle.steadyRate / baseRate).toFixed(1)}x (whole ${(whole(oursSingle) / whole(base)).toFixed(1)}x)`
        : ''),
  );
  console.log(
    `rig ceiling: ${(ceilingRate / baseRate).toFixed(1)}x the baseline; bitcrawl reaches ${((100 * ourRate) / ceilingRate).toFixed(0)}% of it ` +
      '(no client on this rig can pass the ceiling: it skips all protocol work)',
  );
} finally {
  sim.stop();
}
