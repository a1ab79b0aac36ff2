import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { watchTree } from './proc-tree.ts';
import { root, run } from './round-cli.ts';
import type { Network, RoundFigures } from './round-modes.ts';
import { endedAs } from './round-probes.ts';

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
    ended: endedAs(r, capS),
    roundS: (r.endedAt - r.startedAt) / 1000,
    ...(out.last_found_s !== undefined
      ? { lastFoundS: out.last_found_s - (out.first_visit_s ?? 0), lastFoundFromStartS: out.last_found_s }
      : {}),
    found,
    visits: out.visits ?? 0,
    procs,
  };
}
