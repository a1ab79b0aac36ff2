import type { Network, Observation } from '@bitcrawl/model';
import { observationToJson } from '@bitcrawl/model';
import type { Redis } from 'ioredis';
import { addressKey, CURRENT_ROUND_KEY, OBSERVATION_STREAM, PREFIX, parseAddressKey } from './contract.ts';

/**
 * The crawl frontier in Redis. Within a round (crawl id) each address is admitted once
 * (`seen`) and recorded once (`visited`); across rounds `next` holds when an address may be
 * visited again (reachable: a fixed interval; failing: exponential back-off). Both checks run
 * in Lua so they are atomic and one round trip covers a whole getaddr answer.
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
/** What a visit of `source` admitted this round, kept until the visit is recorded (crash recovery). */
const outboxKey = (crawlId: string, source: string) => `${PREFIX}:round:${crawlId}:outbox:${source}`;
/** ZSET address -> earliest next visit (ms); pruned by `prune`. */
const NEXT = `${PREFIX}:addr:due`;
/** The HASH that held next-visit times before they moved to the ZSET above; `prune` unlinks it. */
const LEGACY_NEXT = `${PREFIX}:addr:next`;
/** HASH address -> consecutive failures. */
const FAILS = `${PREFIX}:addr:fails`;

/*
 * KEYS: seen, next, outbox (or ''), visited. ARGV: now, ttl seconds, addresses...
 * Returns { admitted, outbox members not yet visited (this call's and earlier attempts') }.
 */
const ADMIT = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local a = ARGV[i]
  if redis.call('SISMEMBER', KEYS[1], a) == 0 then
    local nxt = redis.call('ZSCORE', KEYS[2], a)
    if (not nxt) or tonumber(nxt) <= now then
      redis.call('SADD', KEYS[1], a)
      out[#out + 1] = a
    end
  end
end
if #out > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
local unfinished = {}
if KEYS[3] ~= '' then
  for i = 1, #out, 1000 do
    redis.call('SADD', KEYS[3], unpack(out, i, math.min(i + 999, #out)))
  end
  if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('EXPIRE', KEYS[3], ttl)
    for _, a in ipairs(redis.call('SMEMBERS', KEYS[3])) do
      if redis.call('SISMEMBER', KEYS[4], a) == 0 then unfinished[#unfinished + 1] = a end
    end
  end
end
return { out, unfinished }
`;

/*
 * KEYS: visited, stream, next, fails, meta, outbox. ARGV: address, json, ok, now,
 * reachableMs, failBaseMs, failMaxMs, ttl seconds.
 */
const RECORD = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  redis.call('DEL', KEYS[6]) -- what a late twin visit admitted, its caller has enqueued
  return 0
end
local ttl = tonumber(ARGV[8])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('XADD', KEYS[2], '*', 'obs', ARGV[2])
local now = tonumber(ARGV[4])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
  redis.call('HINCRBY', KEYS[5], 'ok', 1)
else
  local fails = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
  local backoff = math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * (2 ^ (fails - 1)))
  redis.call('ZADD', KEYS[3], now + backoff, ARGV[1])
end
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('DEL', KEYS[6])
return 1
`;

/*
 * KEYS: next, fails. ARGV: cutoff, limit. Forgets up to `limit` addresses whose next visit
 * was due before the cutoff (with their failure counts); returns how many.
 */
const PRUNE = `
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #old == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(old))
redis.call('HDEL', KEYS[2], unpack(old))
return #old
`;

type Addr = { network: Network; host: string; port: number };

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
   * Admits the addresses not yet seen this round and due for a visit; returns those, in order.
   * `force` admits seeds even if they are not due (a user asked for them).
   */
  async admit(crawlId: string, addrs: readonly Addr[], opts: { force?: boolean } = {}): Promise<Addr[]> {
    if (addrs.length === 0) return [];
    return (await this.admitFrom(crawlId, null, addrs, opts)).admitted;
  }

  /**
   * Admits what the visit of `source` found, like `admit`, and atomically remembers the
   * admitted addresses in the source's outbox until `record` of the source clears it.
   * `enqueue` is every outbox address not yet visited: this call's admissions plus those of
   * an earlier attempt of the same visit that may have died before enqueueing them. The
   * caller enqueues all of `enqueue` (job ids de-duplicate live jobs).
   */
  async admitFrom(
    crawlId: string,
    source: Addr | null,
    addrs: readonly Addr[],
    opts: { force?: boolean } = {},
  ): Promise<{ admitted: Addr[]; enqueue: Addr[] }> {
    const k = keys(crawlId);
    const byKey = new Map(addrs.map((a) => [addressKey(a), a]));
    const now = opts.force ? Number.MAX_SAFE_INTEGER : this.now();
    const [admitted, unfinished] = (await this.redis.eval(
      ADMIT,
      4,
      k.seen,
      NEXT,
      source ? outboxKey(crawlId, addressKey(source)) : '',
      k.visited,
      String(now),
      String(this.ttlS),
      ...byKey.keys(),
    )) as [string[], string[]];
    return {
      admitted: admitted.map((key) => byKey.get(key) as Addr),
      enqueue: unfinished.map((key) => byKey.get(key) ?? parseAddressKey(key)),
    };
  }

  /** Of these addresses, the ones seen this round but not yet recorded (for re-enqueueing after a crash). */
  async pending(crawlId: string, addrs: readonly Addr[]): Promise<Addr[]> {
    if (addrs.length === 0) return [];
    const k = keys(crawlId);
    const ks = addrs.map(addressKey);
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
      const [next, members] = await this.redis.sscan(k.seen, cursor, 'COUNT', pageSize);
      cursor = next;
      if (members.length === 0) continue;
      const visited = await this.redis.smismember(k.visited, ...members);
      const page = members.filter((_, i) => visited[i] === 0).map(parseAddressKey);
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  /** Forgets the outbox of `source` (after its unvisited members were enqueued). */
  async clearOutbox(crawlId: string, source: Addr): Promise<void> {
    await this.redis.del(outboxKey(crawlId, addressKey(source)));
  }

  async isRecorded(crawlId: string, a: Addr): Promise<boolean> {
    return (await this.redis.sismember(keys(crawlId).visited, addressKey(a))) === 1;
  }

  /**
   * Atomically marks the address visited, appends its observation to the stream and clears
   * its outbox, once per round: a re-delivered job cannot record a second visit. Returns
   * false if already recorded (the outbox is cleared all the same: the caller enqueued it).
   */
  async record(obs: Observation): Promise<boolean> {
    const k = keys(obs.crawlId);
    const key = addressKey(obs);
    const r = await this.redis.eval(
      RECORD,
      6,
      k.visited,
      OBSERVATION_STREAM,
      NEXT,
      FAILS,
      k.meta,
      outboxKey(obs.crawlId, key),
      key,
      observationToJson(obs),
      obs.outcome === 'ok' ? '1' : '0',
      String(this.now()),
      String(this.policy.reachableMs),
      String(this.policy.failBaseMs),
      String(this.policy.failMaxMs),
      String(this.ttlS),
    );
    return r === 1;
  }

  /**
   * Forgets revisit state that no longer matters: addresses whose next visit was due more
   * than failMaxMs ago (a failure count older than the longest back-off only changes the
   * next back-off). Runs in batches of `batch` so no single script blocks Redis for long;
   * returns how many addresses were forgotten.
   */
  async prune(batch = 1000): Promise<number> {
    const cutoff = this.now() - this.policy.failMaxMs;
    await this.redis.unlink(LEGACY_NEXT);
    let total = 0;
    for (;;) {
      const n = Number(await this.redis.eval(PRUNE, 2, NEXT, FAILS, String(cutoff), String(batch)));
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
