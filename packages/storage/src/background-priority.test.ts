import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { budget } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from './background-priority.ts';

// A nice value once raised stays raised (lowering it needs privilege), so each case runs in a
// process of its own rather than in the test runner's.
const MODULE = JSON.stringify(import.meta.resolve('./background-priority.ts'));
/** A worker thread runs TypeScript once tsx's loader is registered in it. */
const TSX = JSON.stringify(import.meta.resolve('tsx/esm/api'));

/** Runs `code` (an ES module body) under tsx and returns what it printed last, parsed. */
function child(code: string, ...args: string[]): unknown {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code, ...args],
    { encoding: 'utf8', cwd: import.meta.dirname },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

const linux = process.platform === 'linux';

describe.runIf(linux)('background thread priority (Linux)', () => {
  it('lowerThisThread lowers the calling thread only', () => {
    const code = `
      import { Worker } from 'node:worker_threads';
      import { getPriority } from 'node:os';
      const w = new Worker(\`
        import { parentPort } from 'node:worker_threads';
        import { readlinkSync } from 'node:fs';
        import { getPriority } from 'node:os';
        const { register } = await import(${TSX});
        register();
        const m = await import(${MODULE});
        const ok = m.lowerThisThread();
        const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
        parentPort.postMessage({ ok, tid, nice: getPriority(tid) });
      \`, { eval: true });
      const r = await new Promise((resolve) => w.once('message', resolve));
      await w.terminate();
      console.log(JSON.stringify({ ...r, main: getPriority(process.pid), mainTid: process.pid }));
    `;
    const r = child(code) as { ok: boolean; tid: number; nice: number; main: number; mainTid: number };
    expect(r.ok).toBe(true);
    expect(r.tid).not.toBe(r.mainTid);
    expect(r.nice).toBe(BACKGROUND_NICE);
    expect(r.main).toBe(0);
  });

  it(
    "lowerEngineThreads lowers chdb's threads, those it starts later too, and no thread of Node's",
    () => {
      const code = `
        import { readdirSync, readFileSync } from 'node:fs';
        import { getPriority } from 'node:os';
        import { Worker } from 'node:worker_threads';
        const { lowerEngineThreads } = await import(${MODULE});
        const { Session } = await import(process.argv[1]);
        const threads = () => readdirSync('/proc/self/task').map((t) => {
          const name = readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim();
          let nice = null;
          try { nice = getPriority(Number(t)); } catch {}
          return { tid: Number(t), name, nice };
        });
        const s = new Session(process.argv[2]);
        s.query('SELECT 1', 'TSV');
        const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
        await new Promise((r) => w.once('online', r));
        const stop = lowerEngineThreads(undefined, 20);
        const first = threads();
        // A query over many threads makes ClickHouse start more; the next scans must find them.
        s.query('SELECT sum(number) FROM numbers_mt(50000000) SETTINGS max_threads = 16', 'TSV');
        const before = new Set(first.map((t) => t.tid));
        let later = [];
        for (let i = 0; i < 400; i++) {
          await new Promise((r) => setTimeout(r, 25));
          later = threads().filter((t) => !before.has(t.tid) && !/^(node|libuv|V8|Worker)/i.test(t.name));
          if (later.length > 0 && later.every((t) => t.nice !== 0)) break;
        }
        stop();
        console.log(JSON.stringify({ pid: process.pid, first, later, all: threads() }));
        await w.terminate();
        s.close();
        process.exit(0);
      `;
      const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-priority-'));
      try {
        const chdb = createRequire(import.meta.url).resolve('chdb');
        type T = { tid: number; name: string; nice: number | null };
        const r = child(code, chdb, dir) as { pid: number; first: T[]; later: T[]; all: T[] };
        const engine = (t: T) => t.tid !== r.pid && !/^(node|libuv|V8|Worker)/i.test(t.name);
        const main = r.all.find((t) => t.tid === r.pid);
        expect(main?.nice).toBe(0);
        // Node's threads (V8's helpers, libuv's pool, the worker) keep their priority.
        const nodes = r.all.filter((t) => t.tid !== r.pid && !engine(t));
        expect(nodes.length).toBeGreaterThan(0);
        for (const t of nodes) expect(t.nice, t.name).toBe(0);
        // chdb's threads, those there at the first scan and those started after it.
        const first = r.first.filter(engine);
        expect(first.length).toBeGreaterThan(0);
        for (const t of first) expect(t.nice, t.name).toBe(BACKGROUND_NICE);
        expect(r.later.length).toBeGreaterThan(0);
        for (const t of r.later) expect(t.nice, t.name).toBe(BACKGROUND_NICE);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    budget(60_000),
  );
});
