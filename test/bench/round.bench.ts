/**
 * npm run bench:round — whole rounds end to end, through the CLI only (issue 13):
 *  - `bitcrawl crawl --once` (one process, embedded store, a redis-server of the bench's),
 *  - `bitcrawl stack --once` (seeder, 2 workers, ingester, dashboard, redis-server,
 *    clickhouse-server as processes),
 *  - the notebook's 50-thread discovering crawler (baseline_threaded.py --discover), shape A,
 * over `bitcrawl simnet` shapes A and M (round-shapes.ts), with default timeouts and
 * concurrency. Prints one table per shape: each figure beside its target.
 *
 * As root it re-runs itself in a fresh network namespace (unshare -n): loopback only, other
 * processes' ports out of the way, and shape M's one iptables rule dropping SYNs to the
 * simnet's DROPPED_RANGE. Not root: shape M is skipped (said so), shape A runs here.
 *
 * Knobs: BENCH_SHAPES=A,M  BENCH_MODES=crawl,crawl-v1,stack (crawl-v1, the crawl over v1 only, by default on A)  BENCH_BASELINE=1 (0: skip it)
 *        BENCH_NODE_OPTIONS (NODE_OPTIONS for the commands it runs, e.g. `--require` a profiler hook;
 *        node refuses --cpu-prof there)
 *        BENCH_CRAWL_ARGS (more flags for `crawl`, e.g. '--pending-dials 0'); the stack's services
 *        take variables from the bench's environment (e.g. PENDING_DIALS=0)
 *        BENCH_KEEP=1 (keep the simnet's, the crawl's and the stack's folders, to look into)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DROPPED_RANGE, readGroundTruth } from '@bitcrawl/simnet';
import { which } from '@bitcrawl/testkit';
import { baselineRound } from './round-baseline.ts';
import { root, startUntil } from './round-cli.ts';
import { crawlRound, type Network, type RoundFigures, removeUnlessKept, stackRound } from './round-modes.ts';
import { renderTable, v2CostLine } from './round-report.ts';
import { SHAPES, type Shape, type ShapeName } from './round-shapes.ts';

const list = (v: string | undefined, all: string[]) =>
  (v ?? all.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const shapes = list(process.env.BENCH_SHAPES, ['A', 'M']) as ShapeName[];
// crawl-v1 (the same crawl over v1 only: what BIP324 costs) runs by default on shape A only.
const modes = list(process.env.BENCH_MODES, ['crawl', 'crawl-v1', 'stack']);
const modesOf = (shape: ShapeName) =>
  process.env.BENCH_MODES || shape === 'A' ? modes : modes.filter((m) => m !== 'crawl-v1');
for (const m of modes)
  if (!['crawl', 'crawl-v1', 'stack'].includes(m))
    throw new Error(`BENCH_MODES: unknown mode ${m} (crawl, crawl-v1, stack)`);
const withBaseline = process.env.BENCH_BASELINE !== '0';
const isRoot = process.getuid?.() === 0;

// Root, first pass: run again inside a new network namespace, and end with its status.
if (isRoot && !process.env.BENCH_ROUND_NETNS) {
  const tsx = path.join(root, 'node_modules/.bin/tsx');
  const r = spawnSync('unshare', ['-n', '--', tsx, import.meta.filename], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_ROUND_NETNS: '1' },
  });
  if (r.error) throw new Error(`cannot unshare a network namespace: ${r.error.message}`);
  process.exit(r.status ?? 1);
}

/** Why shape M cannot run here, or undefined when the SYN-dropping rule is in place. */
function setUpNamespace(): string | undefined {
  if (!isRoot) return 'not root: it needs an iptables rule in a network namespace to drop SYNs';
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  if (!which('iptables')) return 'no iptables on PATH (apt-get install iptables)';
  execFileSync('iptables', ['-A', 'INPUT', '-p', 'tcp', '--syn', '-d', DROPPED_RANGE, '-j', 'DROP']);
  return undefined;
}

async function runShape(shape: Shape): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-round-${shape.name}-`));
  const specFile = path.join(dir, 'spec.json');
  const truthFile = path.join(dir, 'truth.ndjson');
  // Outside a namespace the simnet shares 127/8 with everyone: a port of its own.
  const port = isRoot ? 8333 : 20_000 + Math.floor(Math.random() * 10_000);
  writeFileSync(specFile, JSON.stringify({ ...shape.spec, port }));
  console.log(`\nshape ${shape.name}: starting the simnet (${shape.describe})`);
  const t0 = Date.now();
  const sim = await startUntil(
    ['simnet', '--spec', specFile, '--ground-truth', truthFile, '--duration', String(4 * 3600)],
    /^ground truth:/,
    5 * 3_600_000,
  );
  try {
    const seeds =
      sim.lines
        .find((l) => l.startsWith('seeds: '))
        ?.slice(7)
        .split(' ') ?? [];
    const truth = await readGroundTruth(truthFile);
    const net: Network = {
      seeds,
      reachable: new Set(truth.nodes.filter((n) => n.expectedOutcome === 'ok').map((n) => n.endpoint)),
    };
    console.log(
      `simnet up in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${truth.nodes.length} addresses, ${truth.edgeCount} gossip edges, ${net.reachable.size} reachable`,
    );
    // Generous caps: today's crawler is far from the targets; a hung round is reported as such.
    const capS = shape.name === 'A' ? 900 : 3_600;
    const runs: RoundFigures[] = [];
    for (const mode of modesOf(shape.name)) {
      console.log(`shape ${shape.name}: ${mode} round ...`);
      const f =
        mode === 'stack'
          ? await stackRound(net, capS)
          : await crawlRound(net, capS, mode === 'crawl-v1' ? 'v1' : undefined);
      console.log(
        `  ${mode}: ${f.ended} after ${f.roundS.toFixed(1)} s, ${f.found}/${shape.reachable} reachable found`,
      );
      runs.push(f);
    }
    if (withBaseline && shape.name === 'A') {
      console.log(`shape ${shape.name}: threaded baseline (50 threads, discovering) ...`);
      runs.push(await baselineRound(net, capS));
    }
    console.log(`\n${renderTable(shape, runs)}\n`);
    const v2 = v2CostLine(runs);
    if (v2) console.log(`${v2}\n`);
  } finally {
    await sim.stop();
    removeUnlessKept(dir);
  }
}

const dropReason = setUpNamespace();
console.log(
  `bench:round  shapes ${shapes.join(',')}  modes ${modes.join(',')}${withBaseline ? ' + baseline (shape A)' : ''}` +
    `  ${isRoot ? 'in its own network namespace' : "in this host's network namespace"}`,
);
for (const name of shapes) {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`BENCH_SHAPES: unknown shape ${name} (A, M)`);
  if (shape.needsDrop && dropReason) {
    console.log(`\nshape ${name}: SKIPPED — ${dropReason}`);
    continue;
  }
  await runShape(shape);
}
console.log(
  'note: the simnet, the crawler and its servers share this machine (2 cores, other agents busy): figures are noisy',
);
