/**
 * What bench:round reads while a round runs, beside /proc: the command's progress lines
 * (ingest lag), Redis's used_memory, and the workers' /metrics (event-loop lag).
 */
import { CRAWL_QUEUE, PREFIX } from '@bitcrawl/queue';
import type { Redis } from 'ioredis';
import { type ProcFigures, processEnv } from './proc-tree.ts';
import { parseProgress, type Ran } from './round-cli.ts';

/** Progress lines: when and with what backlog the last visit ended; the largest "seen". */
export function progressWatch() {
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

export const ingestTail = (w: ReturnType<typeof progressWatch>['w'], r: Ran) =>
  w.lastVisitAt
    ? { backlogAtLastVisit: w.backlog ?? 0, ingestTailS: (r.endedAt - w.lastVisitAt) / 1000 }
    : {};

export const endedAs = (r: Ran, capS: number) =>
  r.capped ? `killed at the ${capS} s cap` : r.code === 0 ? 'exit 0' : `exit ${r.code ?? r.signal}`;

/** Polls a Redis's used_memory each second: the first reading (empty), the last and the largest. */
export function memoryPoll(conn: () => Redis | undefined) {
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

/** What a Redis holds at the end of a round, per address: MEMORY USAGE of its keys, grouped. */
export interface RedisShares {
  /** The frontier: each address's revisit entry and the round's hash of addresses and hosts. */
  frontier: number;
  /** BullMQ's crawl queue: the jobs it keeps after they finish, its event stream, its indexes. */
  queue: number;
  /** The observation stream (what the ingester has not yet stored and deleted) and the rest. */
  other: number;
  // The rest of used_memory is the server's own, held whatever the round's size: ~1.6 MB on
  // Redis 7.0 once a round has run (CONFIG RESETSTAT frees it: latency-tracking's per-command
  // histograms), the scripts' cache, the connections' buffers.
}

export async function redisShares(conn: Redis, seen: number): Promise<RedisShares | undefined> {
  if (!(seen > 0)) return undefined;
  const shareOf = (key: string): keyof RedisShares =>
    key.startsWith(`${PREFIX}:addr:`) || key.startsWith(`${PREFIX}:round:`)
      ? 'frontier'
      : key.startsWith(`${PREFIX}:${CRAWL_QUEUE}:`)
        ? 'queue'
        : 'other';
  const bytes: RedisShares = { frontier: 0, queue: 0, other: 0 };
  let cursor = '0';
  do {
    const [next, keys] = await conn.scan(cursor, 'COUNT', 1000);
    cursor = next;
    // One round trip per page of keys.
    const pipe = conn.pipeline();
    for (const key of keys) pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const used = (await pipe.exec()) ?? [];
    keys.forEach((key, i) => {
      bytes[shareOf(key)] += Number(used[i]?.[1]) || 0;
    });
  } while (cursor !== '0');
  return { frontier: bytes.frontier / seen, queue: bytes.queue / seen, other: bytes.other / seen };
}

/**
 * Event-loop lag p99 of each worker, from its /metrics every 2 s: the whole run's
 * (bitcrawl_event_loop_lag_p99_seconds, as `crawl` measures its own: the last value read, the
 * largest of the workers), and, beside it, the worst 2 s window (prom-client's p99, which each
 * scrape restarts: the largest value read).
 */
export function workerLagScraper(tree: () => ProcFigures[]) {
  const whole = new Map<number, number>();
  let windowMaxS: number | undefined;
  const value = (text: string, name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const timer = setInterval(async () => {
    for (const p of tree().filter((x) => x.name === 'node worker')) {
      const port = processEnv(p.pid, 'METRICS_PORT');
      if (!port) continue;
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const w = value(text, 'bitcrawl_event_loop_lag_p99_seconds');
        if (w !== undefined && Number.isFinite(w)) whole.set(p.pid, w);
        const win = value(text, 'bitcrawl_process_nodejs_eventloop_lag_p99_seconds');
        if (win !== undefined && Number.isFinite(win)) windowMaxS = Math.max(windowMaxS ?? 0, win);
      } catch {}
    }
  }, 2_000);
  return {
    stop() {
      clearInterval(timer);
      const window =
        windowMaxS === undefined
          ? ''
          : `; its worst 2 s window's p99 was ${Math.round(windowMaxS * 1000)} ms`;
      if (whole.size === 0) return {};
      return {
        loopLagP99Ms: Math.max(...whole.values()) * 1000,
        loopLagSource: `worker /metrics bitcrawl_event_loop_lag_p99_seconds (the whole run, the larger of the workers)${window}`,
      };
    },
  };
}
