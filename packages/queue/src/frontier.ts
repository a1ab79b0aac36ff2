import type { Network, Observation } from '@bitcrawl/model';
import { observationToJson } from '@bitcrawl/model';
import type { Redis } from 'ioredis';
import { addressKey, CURRENT_ROUND_KEY, OBSERVATION_STREAM, PREFIX } from './contract.ts';

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
const ROUND_TTL_S = 14 * 86_400;

const keys = (crawlId: string) => ({
  seen: `${PREFIX}:round:${crawlId}:seen`,
  visited: `${PREFIX}:round:${crawlId}:visited`,
  meta: `${PREFIX}:round:${crawlId}:meta`,
});
const NEXT = `${PREFIX}:addr:next`;
const FAILS = `${PREFIX}:addr:fails`;

const ADMIT = `
local now = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local a = ARGV[i]
  if redis.call('SISMEMBER', KEYS[1], a) == 0 then
    local nxt = redis.call('HGET', KEYS[2], a)
    if (not nxt) or tonumber(nxt) <= now then
      redis.call('SADD', KEYS[1], a)
      out[#out + 1] = a
    end
  end
end
if #out > 0 then redis.call('EXPIRE', KEYS[1], ${ROUND_TTL_S}) end
return out
`;

const RECORD = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ${ROUND_TTL_S})
redis.call('XADD', KEYS[2], '*', 'obs', ARGV[2])
local now = tonumber(ARGV[4])
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[5]))
  redis.call('HDEL', KEYS[4], ARGV[1])
  redis.call('HINCRBY', KEYS[5], 'ok', 1)
else
  local fails = redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
  local backoff = math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * (2 ^ (fails - 1)))
  redis.call('HSET', KEYS[3], ARGV[1], now + backoff)
end
return 1
`;

type Addr = { network: Network; host: string; port: number };

export class Frontier {
  constructor(
    private readonly redis: Redis,
    private readonly revisit: RevisitPolicy = DEFAULT_REVISIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts (or joins) a round and makes it the current one. */
  async startRound(crawlId: string): Promise<void> {
    const k = keys(crawlId);
    await this.redis
      .multi()
      .hsetnx(k.meta, 'startedAt', String(this.now()))
      .expire(k.meta, ROUND_TTL_S)
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
    const k = keys(crawlId);
    const byKey = new Map(addrs.map((a) => [addressKey(a), a]));
    const now = opts.force ? Number.MAX_SAFE_INTEGER : this.now();
    const admitted = (await this.redis.eval(
      ADMIT,
      2,
      k.seen,
      NEXT,
      String(now),
      ...byKey.keys(),
    )) as string[];
    return admitted.map((key) => byKey.get(key) as Addr);
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

  async isRecorded(crawlId: string, a: Addr): Promise<boolean> {
    return (await this.redis.sismember(keys(crawlId).visited, addressKey(a))) === 1;
  }

  /**
   * Atomically marks the address visited and appends its observation to the stream, once per
   * round: a re-delivered job cannot record a second visit. Returns false if already recorded.
   */
  async record(obs: Observation): Promise<boolean> {
    const k = keys(obs.crawlId);
    const r = await this.redis.eval(
      RECORD,
      5,
      k.visited,
      OBSERVATION_STREAM,
      NEXT,
      FAILS,
      k.meta,
      addressKey(obs),
      observationToJson(obs),
      obs.outcome === 'ok' ? '1' : '0',
      String(this.now()),
      String(this.revisit.reachableMs),
      String(this.revisit.failBaseMs),
      String(this.revisit.failMaxMs),
    );
    return r === 1;
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
