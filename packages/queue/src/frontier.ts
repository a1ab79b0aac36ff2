import { type Network, type Observation, observationHeaderJson } from '@bitcrawl/model';
import { cursorServices, decodeBip155, endpointFromKey, endpointKey, walkPacked } from '@bitcrawl/protocol';
import type { Redis } from 'ioredis';
import { CURRENT_ROUND_KEY, OBSERVATION_STREAM, PREFIX } from './contract.ts';
import { ADMIT, BEGIN, COMMIT, PRUNE, runScript } from './frontier-scripts.ts';

/**
 * The crawl frontier in Redis. Within a round (crawl id) each address is admitted once
 * (`seen`) and recorded once (`visited`); across rounds `due` holds when an address may be
 * visited again (reachable: a fixed interval; failing: exponential back-off). Addresses are
 * keyed by their binary endpoint key (8 bytes for IPv4). A job is one `begin` and one `commit`
 * call, each one Lua script: the commit records the visit and admits its whole packed answer.
 */
export interface RevisitPolicy {
  reachableMs: number;
  failBaseMs: number;
  failMaxMs: number;
}

export const DEFAULT_REVISIT: RevisitPolicy = {
  reachableMs: 3_600_000,
  failBaseMs: 3_600_000,
  failMaxMs: 7 * 86_400_000,
};

/** Revisit policy plus how long a round's sets live after their last write. */
export type FrontierPolicy = RevisitPolicy & { roundTtlMs?: number };

const HOUR_MS = 3_600_000;
/** Without a reseed schedule rounds are started by hand; keep them a week. */
export const DEFAULT_ROUND_TTL_MS = 7 * 24 * HOUR_MS;

/**
 * A round's keys expire this long after their last write: twice the reseed interval plus an
 * hour, so the current and the previous round stay inspectable and older ones go away.
 * With no schedule (reseedEveryMs = 0), DEFAULT_ROUND_TTL_MS.
 */
export function roundTtlMsFor(reseedEveryMs: number): number {
  return reseedEveryMs > 0 ? 2 * reseedEveryMs + HOUR_MS : DEFAULT_ROUND_TTL_MS;
}

const keys = (crawlId: string) => ({
  seen: `${PREFIX}:round:${crawlId}:seen`,
  visited: `${PREFIX}:round:${crawlId}:visited`,
  meta: `${PREFIX}:round:${crawlId}:meta`,
});
/** What a visit of `source` admitted this round, kept until it is enqueued (crash recovery). */
const outboxKey = (crawlId: string, source: Addr) =>
  `${PREFIX}:round:${crawlId}:outbox:${endpointKey(source).toString('hex')}`;
/** ZSET endpoint key -> earliest next visit (ms); pruned by `prune`. */
const DUE = `${PREFIX}:addr:due`;
/** HASH endpoint key -> consecutive failures. */
const FAILS = `${PREFIX}:addr:fails`;
/** Where revisit state lived before binary keys (string members); `prune` unlinks them. */
const LEGACY = [`${PREFIX}:addr:next`];

export type Addr = { network: Network; host: string; port: number };
/** An address to enqueue; `services` when the gossip entry that named it said so. */
export type Candidate = Addr & { services?: bigint };

export interface CommitResult {
  /** False when the address was already recorded this round (a twin or an earlier attempt). */
  recorded: boolean;
  /** What to enqueue: this visit's admissions, or what an earlier attempt admitted unfinished. */
  enqueue: Candidate[];
}

export class Frontier {
  private readonly ttlS: number;

  constructor(
    private readonly redis: Redis,
    private readonly policy: FrontierPolicy = DEFAULT_REVISIT,
    private readonly now: () => number = Date.now,
  ) {
    this.ttlS = Math.max(1, Math.ceil((policy.roundTtlMs ?? DEFAULT_ROUND_TTL_MS) / 1000));
  }

  /** Starts (or joins) a round and makes it the current one. */
  async startRound(crawlId: string): Promise<void> {
    const k = keys(crawlId);
    await this.redis
      .multi()
      .hsetnx(k.meta, 'startedAt', String(this.now()))
      .expire(k.meta, this.ttlS)
      .set(CURRENT_ROUND_KEY, crawlId)
      .exec();
  }

  async currentRound(): Promise<string | null> {
    return this.redis.get(CURRENT_ROUND_KEY);
  }

  /**
   * Admits the addresses not yet seen this round and due for a visit; returns those, in order
   * (a repeated address once). `force` admits them even if they are not due (a user asked).
   */
  async admit(crawlId: string, addrs: readonly Addr[], opts: { force?: boolean } = {}): Promise<Addr[]> {
    if (addrs.length === 0) return [];
    const k = keys(crawlId);
    const now = opts.force ? Number.MAX_SAFE_INTEGER : this.now();
    const idx = (await runScript(
      this.redis,
      ADMIT,
      [k.seen, DUE],
      [String(now), String(this.ttlS), ...addrs.map(endpointKey)],
    )) as number[];
    return idx.map((i) => addrs[i - 1] as Addr);
  }

  /**
   * The start of a job: whether `target` is already recorded this round, and if so what its
   * outbox still holds unvisited (admitted by an attempt that died before enqueueing it).
   */
  async begin(crawlId: string, target: Addr): Promise<CommitResult> {
    const [flag, ...rest] = (await runScript(
      this.redis,
      BEGIN,
      [keys(crawlId).visited, outboxKey(crawlId, target)],
      [endpointKey(target)],
      true,
    )) as [number, ...Buffer[]];
    return { recorded: flag === 1, enqueue: rest.map(endpointFromKey) };
  }

  /**
   * Atomically records the visit once per round (visited set, stream entry, revisit time) and
   * admits its answer, remembering the admissions in the target's outbox; the caller enqueues
   * `enqueue` and then calls clearOutbox. For an address already recorded it records nothing
   * and returns what the outbox still holds unvisited.
   */
  async commit(obs: Observation): Promise<CommitResult> {
    const k = keys(obs.crawlId);
    const [flag, ...rest] = (await runScript(
      this.redis,
      COMMIT,
      [k.visited, OBSERVATION_STREAM, DUE, FAILS, k.meta, outboxKey(obs.crawlId, obs), k.seen],
      [
        endpointKey(obs),
        observationHeaderJson(obs),
        Buffer.from(obs.addrs.buffer, obs.addrs.byteOffset, obs.addrs.byteLength),
        obs.outcome === 'ok' ? '1' : '0',
        String(this.now()),
        String(this.policy.reachableMs),
        String(this.policy.failBaseMs),
        String(this.policy.failMaxMs),
        String(this.ttlS),
      ],
      true,
    )) as [number, ...(number | Buffer)[]];
    if (flag !== 1) return { recorded: false, enqueue: (rest as Buffer[]).map(endpointFromKey) };
    return { recorded: true, enqueue: pickEntries(obs.addrs, rest as number[]) };
  }

  /** Records the visit (and admits its answer); false if it was recorded already. */
  async record(obs: Observation): Promise<boolean> {
    return (await this.commit(obs)).recorded;
  }

  /** Forgets the outbox of `source` (after what it held was enqueued). */
  async clearOutbox(crawlId: string, source: Addr): Promise<void> {
    await this.redis.del(outboxKey(crawlId, source));
  }

  async isRecorded(crawlId: string, a: Addr): Promise<boolean> {
    return (await this.redis.sismember(keys(crawlId).visited, endpointKey(a))) === 1;
  }

  /** Of these addresses, the ones seen this round but not yet recorded (for re-enqueueing after a crash). */
  async pending(crawlId: string, addrs: readonly Addr[]): Promise<Addr[]> {
    if (addrs.length === 0) return [];
    const k = keys(crawlId);
    const ks = addrs.map(endpointKey);
    const [seen, visited] = await Promise.all([
      this.redis.smismember(k.seen, ...ks),
      this.redis.smismember(k.visited, ...ks),
    ]);
    return addrs.filter((_, i) => seen[i] === 1 && visited[i] === 0);
  }

  /**
   * Every address seen this round but not yet recorded, in pages of `pageSize` (SSCAN, so a
   * large round is never loaded at once). Used to re-enqueue addresses whose job was lost.
   */
  async *unvisited(crawlId: string, pageSize = 1000): AsyncGenerator<Addr[]> {
    const k = keys(crawlId);
    let cursor = '0';
    do {
      const [next, members] = await this.redis.sscanBuffer(k.seen, cursor, 'COUNT', pageSize);
      cursor = next.toString();
      if (members.length === 0) continue;
      const visited = await this.redis.smismember(k.visited, ...members);
      const page = members.filter((_, i) => visited[i] === 0).map(endpointFromKey);
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  /**
   * Forgets revisit state that no longer matters: addresses whose next visit was due more
   * than failMaxMs ago (a failure count older than the longest back-off only changes the
   * next back-off). Runs in batches of `batch` so no single script blocks Redis for long;
   * returns how many addresses were forgotten.
   */
  async prune(batch = 1000): Promise<number> {
    const cutoff = this.now() - this.policy.failMaxMs;
    await this.redis.unlink(...LEGACY);
    let total = 0;
    for (;;) {
      const n = Number(await runScript(this.redis, PRUNE, [DUE, FAILS], [String(cutoff), String(batch)]));
      total += n;
      if (n < batch) return total;
    }
  }

  async progress(
    crawlId: string,
  ): Promise<{ seen: number; visited: number; ok: number; startedAt: number | null }> {
    const k = keys(crawlId);
    const [seen, visited, meta] = await Promise.all([
      this.redis.scard(k.seen),
      this.redis.scard(k.visited),
      this.redis.hgetall(k.meta),
    ]);
    return {
      seen,
      visited,
      ok: Number(meta.ok ?? 0),
      startedAt: meta.startedAt ? Number(meta.startedAt) : null,
    };
  }
}

/** The entries of a packed answer at these 1-based indices (ascending), decoded: the admitted few. */
function pickEntries(packed: Uint8Array, indices: readonly number[]): Candidate[] {
  const out: Candidate[] = [];
  if (indices.length === 0) return out;
  let next = 0;
  walkPacked(packed, (c) => {
    if (c.index + 1 !== indices[next]) return;
    next++;
    const addr = decodeBip155(c.id, packed.subarray(c.addrAt, c.addrAt + c.addrLen));
    if (addr)
      out.push({
        network: addr.network,
        host: addr.host,
        port: c.port,
        services: cursorServices(c),
      });
  });
  return out;
}
