/**
 * CPU time and peak RSS of a process tree, from /proc (Linux). Polled: a process's figures are
 * the last ones seen, so one that exits between two polls loses at most one interval of CPU
 * (its parent's cutime would count it, but only once it is reaped, and not for grandchildren).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcFigures {
  pid: number;
  /** Short name: the command plus, for node, the bitcrawl subcommand it runs. */
  name: string;
  cpuMs: number;
  /** VmHWM: the process's peak resident set. */
  peakRssMb: number;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux ABI node runs on

function readStat(pid: number): { ppid: number; cpuMs: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: fields start after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

function readPeakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** "redis-server", "clickhouse-server", "python3", or "node crawl" / "node worker" from the cmdline. */
export function processName(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // Servers retitle themselves ("redis-server 127.0.0.1:6379", "redis-aof-rewrite ...").
    const exe = (argv[0] ?? '?').split(' ')[0]?.split('/').at(-1) as string;
    if (exe === 'node' || exe.startsWith('node')) {
      const cli = argv.findIndex((a) => /bitcrawl\.mjs$|worker-thread\.mjs$/.test(a));
      const sub = cli >= 0 ? argv[cli + 1] : undefined;
      return sub && !sub.startsWith('-') ? `node ${sub}` : 'node';
    }
    return exe;
  } catch {
    return '?';
  }
}

/** Every pid on the machine with its parent (one /proc read per process). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = readStat(Number(d));
    if (s) out.set(Number(d), s.ppid);
  }
  return out;
}

/** `roots` and every process below them. */
function treeOf(roots: number[], byParent: Map<number, number>): Set<number> {
  const tree = new Set(roots);
  // Children appear after their parents in no particular order: iterate to a fixpoint.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of byParent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** The pids under `root` (not itself) whose name matches, e.g. the servers the bench started. */
export function descendantsNamed(root: number, name: RegExp): number[] {
  const tree = treeOf([root], parents());
  tree.delete(root);
  return [...tree].filter((pid) => name.test(processName(pid)));
}

/**
 * Samples the tree under `root` (and `extra` pids outside it, e.g. servers the bench started
 * itself) every `intervalMs` until stop(); stop() takes a final sample.
 */
export function watchTree(root: number, extra: number[] = [], intervalMs = 200) {
  const seen = new Map<number, ProcFigures>();
  const sample = () => {
    for (const pid of treeOf([root, ...extra], parents())) {
      const st = readStat(pid);
      if (!st) continue;
      const prev = seen.get(pid);
      const rss = readPeakRssMb(pid);
      // Read every time: a process can exec another program (pyenv's shims are bash scripts).
      const name = processName(pid);
      seen.set(pid, {
        pid,
        name: name === '?' ? (prev?.name ?? name) : name,
        cpuMs: Math.max(prev?.cpuMs ?? 0, st.cpuMs),
        peakRssMb: Math.max(prev?.peakRssMb ?? 0, rss),
      });
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    /** Pids seen so far with their figures. */
    current: () => [...seen.values()],
    stop(): ProcFigures[] {
      clearInterval(timer);
      sample();
      return [...seen.values()].sort((a, b) => b.cpuMs - a.cpuMs);
    },
  };
}

/** Reads one variable of a process's environment (e.g. a worker's METRICS_PORT). */
export function processEnv(pid: number, name: string): string | undefined {
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
    }
  } catch {}
  return undefined;
}
