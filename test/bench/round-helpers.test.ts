import { spawn } from 'node:child_process';
import { budget } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';
import { descendantsNamed, watchTree } from './proc-tree.ts';
import { parseProgress } from './round-cli.ts';
import type { RoundFigures } from './round-modes.ts';
import { renderTable, v2CostLine } from './round-report.ts';
import { SHAPES } from './round-shapes.ts';

describe('bench:round helpers', () => {
  it("reads progress from both crawl's and the stack's lines", () => {
    expect(
      parseProgress('visited 4500/4500  reachable 2000  queued 0 (active 0)  12 visits/s  ingest backlog 37'),
    ).toEqual({ visited: 4500, seen: 4500, ok: 2000, queued: 0, backlog: 37 });
    expect(
      parseProgress('round stack123: visited 10/4500, reachable 3, queued 900, ingest backlog 0'),
    ).toEqual({ visited: 10, seen: 4500, ok: 3, queued: 900, backlog: 0 });
    expect(parseProgress('storage: embedded chdb')).toBeUndefined();
  });

  it(
    'counts the CPU and peak RSS of a grandchild, also after it exits',
    async () => {
      // sh -> python3, which burns a fixed amount of work, then sleeps so the sampler sees it.
      const child = spawn(
        'sh',
        ['-c', 'python3 -c "sum(i * i for i in range(3_000_000)); import time; time.sleep(1)"; sleep 0.5'],
        {
          stdio: 'ignore',
        },
      );
      const tree = watchTree(child.pid as number, [], 50);
      expect(descendantsNamed(process.pid, /^sh$/)).toContain(child.pid);
      await new Promise((r) => child.once('exit', r));
      const procs = tree.stop();
      const py = procs.find((p) => p.name === 'python3');
      expect(py?.cpuMs).toBeGreaterThan(0);
      expect(py?.peakRssMb).toBeGreaterThan(1);
    },
    budget(60_000),
  );

  it('prints every figure beside its target, n/a for what a mode lacks', () => {
    const f: RoundFigures = {
      mode: 'crawl',
      ended: 'exit 0',
      roundS: 120,
      lastFoundS: 90,
      found: 1990,
      visits: 4500,
      procs: [
        { pid: 1, name: 'node crawl', cpuMs: 9000, peakRssMb: 400 },
        { pid: 2, name: 'redis-server', cpuMs: 0, peakRssMb: 20 },
      ],
    };
    const text = renderTable(SHAPES.A, [f]);
    expect(text).toMatch(/round time, s \(start to exit\)\s+<= 15\s+120\.0/);
    expect(text).toMatch(/recall \(reachable found\)\s+2000\s+1990 \(99\.5%\)/);
    expect(text).toMatch(/CPU ms per visit\s+<= 2\s+2\.00/);
    expect(text).toMatch(/event-loop lag p99, ms\s+<= 50\s+n\/a/);
    expect(text).toMatch(/peak RSS, MB \(VmHWM\)\s+crawl <= 500\s+node crawl 400/);
    expect(text).toMatch(/CPU s per process\s+node crawl 9\.0\n\s+redis-server 0\.0/);
  });

  it("prices a v2 visit from a crawl and a crawl-v1 round: the extra CPU over the v2 visits, against a v1 ok visit's", () => {
    const round = (mode: RoundFigures['mode'], cpuMs: number, v2OkVisits: number): RoundFigures => ({
      mode,
      ended: 'exit 0',
      roundS: 20,
      found: 2000,
      visits: 4500,
      okVisits: 2000,
      v2OkVisits,
      procs: [{ pid: 1, name: 'node crawl', cpuMs, peakRssMb: 800 }],
    });
    // v1: 20 s over 2,000 ok visits = 10 ms each; v2 round 6 s more over 1,200 v2 visits = 5 ms more.
    const line = v2CostLine([round('crawl', 26_000, 1_200), round('crawl-v1', 20_000, 0)]);
    expect(line).toMatch(/a v1 ok visit costs 10\.00 CPU ms/);
    expect(line).toMatch(/5\.00 ms more per v2 visit \(1200\), so a v2 visit costs 1\.50x/);
    expect(v2CostLine([round('crawl', 26_000, 1_200)])).toBeUndefined();
  });
});
