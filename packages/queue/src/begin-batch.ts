import { type Endpoint, endpointFromKey, endpointKey } from '@bitcrawl/protocol';
import type { Redis } from 'ioredis';
import { BEGIN, runScript } from './frontier-scripts.ts';

/**
 * A job's start: recorded already (hand its admissions over), or to be visited, with whether
 * the endpoint took a slot of its host's per-IP cap (true when none was asked for).
 */
export type BeginResult =
  | { recorded: true; enqueue: Endpoint[] }
  | { recorded: false; enqueue: Endpoint[]; claimed: boolean };

/** The keys one round's begins touch. */
export interface RoundKeys {
  addrs: string;
  hosts: string;
  /** An endpoint's outbox is this followed by its key in hex. */
  outboxPrefix: string;
}

interface Pending {
  key: Buffer;
  claim: boolean;
  resolve(r: BeginResult): void;
  reject(err: unknown): void;
}

/** Most begins in one call: the script runs in Redis's one thread, so no call may run long. */
export const MAX_BEGINS_PER_CALL = 512;

/**
 * Gathers the begins issued while the current macrotask and its microtasks run (a burst of
 * fetched jobs starts all its visits there) and sends them in one BEGIN call per round, at
 * most MAX_BEGINS_PER_CALL each. Flushed on process.nextTick: after those microtasks, before
 * the loop moves on, so a begin waits for no timer or turn. Each begin keeps its own result,
 * and a failed call rejects only the begins it carried.
 */
export class BeginBatch {
  /** Per round, the begins not yet sent. */
  private readonly pending = new Map<string, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly roundKeys: (crawlId: string) => RoundKeys,
    private readonly limits: () => { perHost: number; ttlS: number },
  ) {}

  begin(crawlId: string, target: Endpoint, claim: boolean): Promise<BeginResult> {
    return new Promise<BeginResult>((resolve, reject) => {
      let list = this.pending.get(crawlId);
      if (!list) {
        list = [];
        this.pending.set(crawlId, list);
      }
      list.push({ key: endpointKey(target), claim, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const rounds = [...this.pending];
    this.pending.clear();
    for (const [crawlId, list] of rounds) {
      const keys = this.roundKeys(crawlId);
      for (let at = 0; at < list.length; at += MAX_BEGINS_PER_CALL)
        this.send(keys, list.slice(at, at + MAX_BEGINS_PER_CALL));
    }
  }

  private send(keys: RoundKeys, list: Pending[]): void {
    const { perHost, ttlS } = this.limits();
    const args: (string | Buffer)[] = [String(perHost), String(ttlS)];
    for (const p of list) args.push(p.key, p.claim ? '1' : '0');
    const fail = (err: unknown) => {
      for (const p of list) p.reject(err);
    };
    const outboxes = list.map((p) => keys.outboxPrefix + p.key.toString('hex'));
    runScript(this.redis, BEGIN, [keys.addrs, keys.hosts, ...outboxes], args, true).then((reply) => {
      // A reply that does not fit would leave begins unsettled: their jobs would hang.
      if (!Array.isArray(reply) || !settle(list, reply)) fail(new BeginReplyError(list.length));
    }, fail);
  }
}

/** A BEGIN reply not laid out as the script's (a Redis that is not the one the script was written for). */
export class BeginReplyError extends Error {
  readonly code = 'BEGIN_REPLY';
  constructor(begins: number) {
    super(`Redis answered ${begins} begins with a reply of another layout`);
    this.name = 'BeginReplyError';
  }
}

/**
 * Hands each begin its part of the reply (see BEGIN's layout); false, settling none, when the
 * reply does not fit the list.
 */
function settle(list: Pending[], reply: unknown[]): boolean {
  const results: BeginResult[] = [];
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const flag = reply[at++];
    if (flag === 0) {
      const claimed = reply[at++];
      if (claimed !== 0 && claimed !== 1) return false;
      results.push({ recorded: false, enqueue: [], claimed: claimed === 1 });
      continue;
    }
    const n = reply[at++];
    if (flag !== 1 || typeof n !== 'number' || at + n > reply.length) return false;
    const keys = reply.slice(at, at + n);
    if (!keys.every((k) => Buffer.isBuffer(k))) return false;
    at += n;
    results.push({ recorded: true, enqueue: keys.map(endpointFromKey) });
  }
  if (at !== reply.length) return false;
  for (let i = 0; i < list.length; i++) list[i]?.resolve(results[i] as BeginResult);
  return true;
}
