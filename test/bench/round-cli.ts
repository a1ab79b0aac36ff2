/**
 * bench:round drives bitcrawl only through its CLI: these run one command to its end (or kill
 * it at a cap), hand over its output line by line, and read figures back from the store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const root = path.resolve(import.meta.dirname, '../..');
/** What `npx bitcrawl` runs: the esbuild bundle, rebuilt first when a source changed. */
export const bin = path.join(root, 'services/cli/bin/bitcrawl.mjs');

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed at the cap. */
  capped: boolean;
  startedAt: number;
  endedAt: number;
  stdout: string;
}

/**
 * Spawns `cmd args`, passes every stdout/stderr line to onLine (with its arrival time), and
 * SIGTERMs it at capMs (SIGKILL 30 s later). onStart gets the pid, for /proc sampling.
 */
export function run(
  cmd: string,
  args: string[],
  o: {
    capMs: number;
    env?: Record<string, string>;
    onLine?: (line: string, at: number, stream: 'stdout' | 'stderr') => void;
    onStart?: (pid: number) => void;
    stdin?: string;
  },
): Promise<Ran> {
  const startedAt = Date.now();
  const c = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '', ...o.env },
    stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  children.add(c);
  if (c.pid) o.onStart?.(c.pid);
  if (o.stdin !== undefined) c.stdin?.end(o.stdin);
  let stdout = '';
  let capped = false;
  const lines = (stream: 'stdout' | 'stderr') =>
    createInterface({ input: c[stream]! }).on('line', (line) => {
      if (stream === 'stdout' && stdout.length < 4_000_000) stdout += `${line}\n`;
      o.onLine?.(line, Date.now(), stream);
    });
  lines('stdout');
  lines('stderr');
  const cap = setTimeout(() => {
    capped = true;
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 30_000).unref();
  }, o.capMs);
  return new Promise((resolve) => {
    c.on('error', (err) => {
      clearTimeout(cap);
      children.delete(c);
      resolve({ code: null, signal: null, capped, startedAt, endedAt: Date.now(), stdout: String(err) });
    });
    c.on('close', (code, signal) => {
      clearTimeout(cap);
      children.delete(c);
      resolve({ code, signal, capped, startedAt, endedAt: Date.now(), stdout });
    });
  });
}

/** Starts a long-running CLI command and resolves once a line matches `ready` (its pid and the lines so far). */
export function startUntil(
  args: string[],
  ready: RegExp,
  capMs: number,
): Promise<{ lines: string[]; stop: () => Promise<void>; done: Promise<Ran> }> {
  const lines: string[] = [];
  let pid = 0;
  return new Promise((resolve, reject) => {
    const done = run(process.execPath, [bin, ...args], {
      capMs,
      onStart: (p) => {
        pid = p;
      },
      onLine: (line, _at, stream) => {
        if (stream === 'stderr') process.stderr.write(`  | ${line}\n`);
        lines.push(line);
        if (ready.test(line))
          resolve({
            lines,
            done,
            stop: async () => {
              if (pid) process.kill(pid, 'SIGTERM');
              await done;
            },
          });
      },
    });
    done.then((r) => reject(new Error(`${args[0]} exited (${r.code ?? r.signal}) before it was ready`)));
  });
}

/** Rows of `bitcrawl query --format json` (embedded store dir, or a server URL). */
export async function query(
  where: { store: string } | { clickhouse: string },
  sql: string,
): Promise<Record<string, string>[]> {
  const target = 'store' in where ? ['--store', where.store] : ['--clickhouse', where.clickhouse];
  const r = await run(process.execPath, [bin, 'query', ...target, '--format', 'json', sql], {
    capMs: 300_000,
  });
  if (r.code !== 0) throw new Error(`bitcrawl query failed (${r.code}): ${sql}\n${r.stdout}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>);
}

/** A crawl's or the stack's progress line: "visited V/S  reachable R  queued Q ... ingest backlog B". */
export function parseProgress(
  line: string,
): { visited: number; seen: number; ok: number; queued: number; backlog: number } | undefined {
  const m = /visited (\d+)\/(\d+),?\s+reachable (\d+),?\s+queued (\d+).*ingest backlog (\d+)/.exec(line);
  if (!m) return undefined;
  const [visited, seen, ok, queued, backlog] = m.slice(1).map(Number) as number[];
  return {
    visited: visited as number,
    seen: seen as number,
    ok: ok as number,
    queued: queued as number,
    backlog: backlog as number,
  };
}
