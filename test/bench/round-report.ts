/** bench:round's table: one row per figure, its target, then one column per mode. */
import type { RoundFigures } from './round-modes.ts';
import {
  CONNECT_P99_TARGET_MS,
  CPU_MS_PER_VISIT_TARGET,
  LOOP_LAG_P99_TARGET_MS,
  type Shape,
} from './round-shapes.ts';

const num = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);

const cpuMs = (f: RoundFigures) => f.procs.reduce((t, p) => t + p.cpuMs, 0);

/**
 * One figure per process, largest first, the same names merged ("node worker 173/143"): peak
 * RSS in MB, or CPU seconds.
 */
function perProcessCell(
  f: RoundFigures,
  value: (p: RoundFigures['procs'][number]) => number,
  digits: number,
): string[] {
  const byName = new Map<string, number[]>();
  for (const p of f.procs) {
    // sh, sleep and cat: testkit's guards that stop a server with its parent (their CPU still
    // counts in the tree's total).
    if (p.peakRssMb <= 0 || ['sh', 'sleep', 'cat'].includes(p.name)) continue;
    byName.set(p.name, [...(byName.get(p.name) ?? []), value(p)]);
  }
  return [...byName]
    .sort((a, b) => Math.max(...b[1]) - Math.max(...a[1]))
    .map(([name, vs]) => `${name} ${vs.map((v) => v.toFixed(digits)).join('/')}`);
}

export function renderTable(shape: Shape, runs: RoundFigures[]): string {
  const rows: [string, string, (f: RoundFigures) => string][] = [
    ['ended', '', (f) => f.ended],
    [
      'last reachable found, s after 1st visit',
      shape.targets.lastFoundS ? `<= ${shape.targets.lastFoundS}` : 'all found',
      (f) => num(f.lastFoundS),
    ],
    ['  (s after process start)', '', (f) => num(f.lastFoundFromStartS)],
    ['round time, s (start to exit)', `<= ${shape.targets.roundS}`, (f) => num(f.roundS)],
    [
      'recall (reachable found)',
      `${shape.reachable}`,
      (f) => `${f.found} (${((100 * f.found) / shape.reachable).toFixed(1)}%)`,
    ],
    ['visits', '', (f) => String(f.visits)],
    [
      '  ok, of them over BIP324 v2',
      '',
      (f) => (f.okVisits === undefined ? 'n/a' : `${f.okVisits}, ${f.v2OkVisits ?? 0} v2`),
    ],
    ['CPU s, whole process tree', '', (f) => num(cpuMs(f) / 1000)],
    [
      'CPU ms per visit',
      `<= ${CPU_MS_PER_VISIT_TARGET}`,
      (f) => (f.visits > 0 ? num(cpuMs(f) / f.visits, 2) : 'n/a'),
    ],
    ['connect p99, ms (connected visits)', `<= ${CONNECT_P99_TARGET_MS}`, (f) => num(f.connectP99Ms, 0)],
    ['handshake p99, ms (ok visits)', '', (f) => num(f.handshakeP99Ms, 0)],
    ['event-loop lag p99, ms', `<= ${LOOP_LAG_P99_TARGET_MS}`, (f) => num(f.loopLagP99Ms, 1)],
    ['Redis bytes per address, at the end', '', (f) => num(f.redisBytesPerAddress, 0)],
    [
      "  of it: frontier / queue / other keys / Redis's own",
      '',
      (f) => {
        const k = f.redisShares;
        if (!k || f.redisBytesPerAddress === undefined) return 'n/a';
        const own = f.redisBytesPerAddress - k.frontier - k.queue - k.other;
        return [k.frontier, k.queue, k.other, own].map((v) => num(v, 0)).join(' / ');
      },
    ],
    ['  (at its peak during the round)', '', (f) => num(f.redisPeakBytesPerAddress, 0)],
    [
      'ingest backlog at last visit',
      '',
      (f) => (f.backlogAtLastVisit === undefined ? 'n/a' : String(f.backlogAtLastVisit)),
    ],
    ['ingest tail, s (last visit to exit)', '', (f) => num(f.ingestTailS)],
  ];
  const rssTarget = [
    shape.targets.crawlRssMb ? `crawl <= ${shape.targets.crawlRssMb}` : '',
    shape.targets.workerRssMb ? `worker <= ${shape.targets.workerRssMb}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const table: string[][] = [['', 'target', ...runs.map((r) => r.mode)]];
  for (const [label, target, cell] of rows) table.push([label, target, ...runs.map(cell)]);
  const perProcess = (label: string, target: string, cells: string[][]) => {
    for (let i = 0; i < Math.max(1, ...cells.map((c) => c.length)); i++)
      table.push([i === 0 ? label : '', i === 0 ? target : '', ...cells.map((c) => c[i] ?? '')]);
  };
  perProcess(
    'CPU s per process',
    '',
    runs.map((f) => perProcessCell(f, (p) => p.cpuMs / 1000, 1)),
  );
  perProcess(
    'peak RSS, MB (VmHWM)',
    rssTarget,
    runs.map((f) => perProcessCell(f, (p) => p.peakRssMb, 0)),
  );
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  const lines = table.map((row) =>
    row
      .map((v, c) => v.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const notes = runs
    .filter((r) => r.loopLagSource)
    .map((r) => `  ${r.mode}: event-loop lag from ${r.loopLagSource}`);
  return [`shape ${shape.name}: ${shape.describe}`, ...lines, ...notes].join('\n');
}

/**
 * What BIP324 costs per visit, end to end, from a crawl and a crawl-v1 round of the same shape:
 * the extra CPU of the v2 round spread over its v2 visits (a v2 key, ECDH and AEAD each; the
 * nodes that claim v2 but reset add a second connection), against a v1 ok visit's whole cost
 * (session, gossip, frontier, ingest; the dead and silent visits' CPU is shared out over the ok
 * ones in both rounds alike). Undefined without both rounds.
 */
export function v2CostLine(runs: RoundFigures[]): string | undefined {
  const v2 = runs.find((r) => r.mode === 'crawl');
  const v1 = runs.find((r) => r.mode === 'crawl-v1');
  if (!v2?.v2OkVisits || !v1?.okVisits || !v2.okVisits) return undefined;
  const perOkV1 = cpuMs(v1) / v1.okVisits;
  const extraPerV2 = (cpuMs(v2) - cpuMs(v1) * (v2.visits / v1.visits)) / v2.v2OkVisits;
  const ratio = (perOkV1 + extraPerV2) / perOkV1;
  return (
    `BIP324, end to end: a v1 ok visit costs ${perOkV1.toFixed(2)} CPU ms (crawl-v1); the v2 round spent ` +
    `${extraPerV2.toFixed(2)} ms more per v2 visit (${v2.v2OkVisits}), so a v2 visit costs ${ratio.toFixed(2)}x ` +
    `a v1 visit (target <= 2; the two rounds ran one after the other: read several runs)`
  );
}
