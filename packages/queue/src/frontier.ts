import {
  DEFAULT_GOSSIP_CAPS as GOSSIP_CAP_DEFAULTS,
  DEFAULT_REVISIT as REVISIT_DEFAULTS,
} from '@bitcrawl/config/defaults';
import { type Observation, observationHeaderJson } from '@bitcrawl/model';
import {
  cursorServices,
  decodeBip155,
  type Endpoint,
  endpointFromKey,
  endpointKey,
  walkPacked,
} from '@bitcrawl/protocol';
import type { Redis } from 'ioredis';
import { BeginBatch, type BeginResult } from './begin-batch.ts';
import { CURRENT_ROUND_KEY, OBSERVATION_STREAM, PREFIX } from './contract.ts';
import { ADMIT, COMMIT, PRUNE, runScript } from './frontier-scripts.ts';
import { KnownKeys } from './known-keys.ts';

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

export const DEFAULT_REVISIT: RevisitPolicy = { ...REVISIT_DEFAULTS };

/**
 * Bounds on what gossip can make a round do. perHost: endpoints (ports) of one host (IP, onion,
 * ...) a round visits; further ones are refused at visit time (`begin`'s claim), so one answer
 * naming 250 ports of a host costs that host at most perHost connections. perSource: new
 * addresses one visited peer may add to a round (Core sends at most 1,000 in an answer).
 */
export interface GossipCaps {
  perHost: number;
  perSource: number;
}
export const DEFAULT_GOSSIP_CAPS: GossipCaps = { ...GOSSIP_CAP_DEFAULTS };

/**
 * Revisit policy plus how long a round's sets live after their last write, the gossip caps, and
 * how long revisit state is kept after an address's last visit (what `knownSince` can list; at least
 * failMaxMs).
 */
export type FrontierPolicy = RevisitPolicy & {
  roundTtlMs?: number;
  gossipCaps?: Partial<GossipCaps>;
  keepKnownMs?: number;
};

const HOUR_MS = 3_600_000;
/** With rounds back to back and no interval (ROUND_INTERVAL_MS=0), or started by hand: a week. */
export const DEFAULT_ROUND_TTL_MS = 7 * 24 * HOUR_MS;

/**
 * A round's keys expire this long after their last write: twice the round interval plus an
 * hour, so the current and the previous round stay inspectable and older ones go away.
 * With no interval (0), DEFAULT_ROUND_TTL_MS.
 */
export function roundTtlMsFor(roundIntervalMs: number): number {
  return roundIntervalMs > 0 ? 2 * roundIntervalMs + HOUR_MS : DEFAULT_ROUND_TTL_MS;
}

const keys = (crawlId: string) => ({
  /** HASH endpoint key -> '0' admitted (seen) / '1' recorded (visited): see frontier-scripts. */
  addrs: `${PREFIX}:round:${crawlId}:addrs`,
  meta: `${PREFIX}:round:${crawlId}:meta`,
  /** HASH host key -> the ports that took one of its endpoint slots (the per-IP cap). */
  hosts: `${PREFIX}:round:${crawlId}:hosts`,
});
/** The round's outbox keys: this prefix, then the source's endpoint key in hex. */
const outboxPrefix = (crawlId: string) => `${PREFIX}:round:${crawlId}:outbox:`;
/** What a visit of `source` admitted this round, kept until it is enqueued (crash recovery). */
const outboxKey = (crawlId: string, source: Endpoint) =>
  outboxPrefix(crawlId) + endpointKey(source).toString('hex');
/** HASH endpoint key -> next visit (ms) * 16 + consecutive failures; pruned by `prune`. */
const REVISIT = `${PREFIX}:addr:revisit`;
/** Where revisit state lived before binary keys and the one hash; `prune` unlinks them. */
const LEGACY = [`${PREFIX}:addr:next`, `${PREFIX}:addr:due`, `${PREFIX}:addr:fails`];

/** An address to enqueue; `services` when the gossip entry that named it said so. */
export type Candidate = Endpoint & { services?: bigint };

export interface CommitResult {
  /** False when the address was already recorded this round (a twin or an earlier attempt). */
  recorded: boolean;
  /** What to enqueue: this visit's admissions, or what an earlier attempt admitted unfinished. */
  enqueue: Candidate[];
  /** New addresses of the answer left out by the per-source cap. */
  capped?: number;
}

export type { BeginResult } from './begin-batch.ts';

export class Frontier {
  private readonly ttlS: number;
  readonly caps: GossipCaps;
  private readonly known = new KnownKeys();
  private readonly begins: BeginBatch;

  constructor(
    private readonly redis: Redis,
    private readonly policy: FrontierPolicy = DEFAULT_REVISIT,
    private readonly now: () => number = Date.now,
  ) {
    this.ttlS = Math.max(1, Math.ceil((policy.roundTtlMs ?? DEFAULT_ROUND_TTL_MS) / 1000));
    this.caps = { ...DEFAULT_GOSSIP_CAPS, ...policy.gossipCaps };
    this.begins = new BeginBatch(
      redis,
      (crawlId) => ({ ...keys(crawlId), outboxPrefix: outboxPrefix(crawlId) }),
      () => ({ perHost: this.caps.perHost, ttlS: this.ttlS }),
    );
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

  /** Counts seeds admitted to a round, per network (the `rounds` row's `seeds`, for whoever records it). */
  async countSeeds(crawlId: string, byNetwork: Record<string, number>): Promise<void> {
    const k = keys(crawlId);
    const m = this.redis.multi();
    for (const [network, n] of Object.entries(byNetwork)) if (n > 0) m.hincrby(k.meta, `seeds:${network}`, n);
    await m.expire(k.meta, this.ttlS).exec();
  }

  async currentRound(): Promise<string | null> {
    return this.redis.get(CURRENT_ROUND_KEY);
  }

  /**
   * Admits the addresses not yet seen this round and due for a visit; returns those, in order
   * (a repeated address once). `force` admits them even if they are not due (a user asked).
   */
  async admit(
    crawlId: string,
    addrs: readonly Endpoint[],
    opts: { force?: boolean } = {},
  ): Promise<Endpoint[]> {
    if (addrs.length === 0) return [];
    const k = keys(crawlId);
    const now = opts.force ? Number.MAX_SAFE_INTEGER : this.now();
    const idx = (await runScript(
      this.redis,
      ADMIT,
      [k.addrs, REVISIT],
      [String(now), String(this.ttlS), ...addrs.map(endpointKey)],
    )) as number[];
    return idx.map((i) => addrs[i - 1] as Endpoint);
  }

  /**
   * The start of a job: whether `target` is already recorded this round, and if so what its
   * outbox still holds unvisited (admitted by an attempt that died before enqueueing it). With
   * `claim`, an unrecorded target also claims a slot of its host's `caps.perHost` in the same
   * call (the same endpoint always may again: a redelivered job); gossip beyond the slots is
   * refused at visit time. Seeds are not asked (an operator's target is always visited).
   */
  begin(crawlId: string, target: Endpoint, claim = false): Promise<BeginResult> {
    return this.begins.begin(crawlId, target, claim);
  }

  /**
   * Atomically records the visit once per round (visited set, stream entry, revisit time) and
   * admits its answer, remembering the admissions in the target's outbox; the caller enqueues
   * `enqueue` and then calls clearOutbox. For an address already recorded it records nothing
   * and returns what the outbox still holds unvisited.
   */
  async commit(obs: Observation): Promise<CommitResult> {
    const k = keys(obs.crawlId);
    const { candidates, remember } = this.known.unknown(obs.crawlId, obs.addrs);
    const [flag, ...rest] = (await runScript(
      this.redis,
      COMMIT,
      [k.addrs, OBSERVATION_STREAM, REVISIT, k.meta, outboxKey(obs.crawlId, obs)],
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
        Buffer.from(candidates.buffer, candidates.byteOffset, candidates.byteLength),
        String(this.caps.perSource),
      ],
      true,
    )) as [number, ...(number | Buffer)[]];
    if (flag !== 1) return { recorded: false, enqueue: (rest as Buffer[]).map(endpointFromKey) };
    const last = rest.at(-1) as number | undefined;
    const capped = last !== undefined && last < 0 ? -last : 0;
    // What the per-source cap left out is not in the round: other sources must still ask about it.
    if (capped === 0) remember();
    const indices = (capped > 0 ? rest.slice(0, -1) : rest) as number[];
    return { recorded: true, enqueue: pickEntries(candidates, indices), ...(capped > 0 ? { capped } : {}) };
  }

  /** Records the visit (and admits its answer); false if it was recorded already. */
  async record(obs: Observation): Promise<boolean> {
    return (await this.commit(obs)).recorded;
  }

  /** Forgets the outbox of `source` (after what it held was enqueued). */
  async clearOutbox(crawlId: string, source: Endpoint): Promise<void> {
    await this.redis.del(outboxKey(crawlId, source));
  }

  /** Of these addresses, the ones seen this round but not yet recorded (for re-enqueueing after a crash). */
  async pending(crawlId: string, addrs: readonly Endpoint[]): Promise<Endpoint[]> {
    if (addrs.length === 0) return [];
    const state = await this.redis.hmget(keys(crawlId).addrs, ...addrs.map(endpointKey));
    return addrs.filter((_, i) => state[i] === '0');
  }

  /**
   * Every address seen this round but not yet recorded, in pages of `pageSize` (SSCAN, so a
   * large round is never loaded at once). Used to re-enqueue addresses whose job was lost.
   */
  async *unvisited(crawlId: string, pageSize = 1000): AsyncGenerator<Endpoint[]> {
    const k = keys(crawlId);
    let cursor = '0';
    do {
      const [next, kv] = await this.redis.hscanBuffer(k.addrs, cursor, 'COUNT', pageSize);
      cursor = next.toString();
      const page: Endpoint[] = [];
      for (let i = 0; i + 1 < kv.length; i += 2)
        if ((kv[i + 1] as Buffer).toString() === '0') page.push(endpointFromKey(kv[i] as Buffer));
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  /**
   * Every address in the revisit state last visited at or after `sinceMs`, in pages (HSCAN):
   * what a new round revisits in a deployment whose Redis outlives its rounds. The last visit
   * is the next one less the delay the policy gave it (reachable, or the failure back-off).
   */
  async *knownSince(sinceMs: number, pageSize = 5000): AsyncGenerator<Endpoint[]> {
    const p = this.policy;
    let cursor = '0';
    do {
      const [next, kv] = await this.redis.hscanBuffer(REVISIT, cursor, 'COUNT', pageSize);
      cursor = next.toString();
      const page: Endpoint[] = [];
      for (let i = 0; i + 1 < kv.length; i += 2) {
        const v = Number((kv[i + 1] as Buffer).toString());
        const fails = v % 16;
        const delay = fails === 0 ? p.reachableMs : Math.min(p.failMaxMs, p.failBaseMs * 2 ** (fails - 1));
        if ((v - fails) / 16 - delay >= sinceMs) page.push(endpointFromKey(kv[i] as Buffer));
      }
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  /**
   * Forgets revisit state that no longer matters: addresses whose next visit was due more
   * than failMaxMs ago (a failure count older than the longest back-off only changes the
   * next back-off), or more than keepKnownMs ago if that is longer. Runs in batches of `batch` so no single script blocks Redis for long;
   * returns how many addresses were forgotten.
   */
  async prune(batch = 1000): Promise<number> {
    const cutoff = this.now() - Math.max(this.policy.failMaxMs, this.policy.keepKnownMs ?? 0);
    await this.redis.unlink(...LEGACY);
    let total = 0;
    let cursor = '0';
    do {
      const [next, n] = (await runScript(
        this.redis,
        PRUNE,
        [REVISIT],
        [String(cutoff), cursor, String(batch)],
      )) as [string, number];
      cursor = next;
      total += n;
    } while (cursor !== '0');
    return total;
  }

  async progress(crawlId: string): Promise<{
    seen: number;
    visited: number;
    ok: number;
    startedAt: number | null;
    seedsByNetwork: Record<string, number>;
  }> {
    const k = keys(crawlId);
    const [seen, meta] = await Promise.all([this.redis.hlen(k.addrs), this.redis.hgetall(k.meta)]);
    const seedsByNetwork: Record<string, number> = {};
    for (const [f, v] of Object.entries(meta))
      if (f.startsWith('seeds:')) seedsByNetwork[f.slice(6)] = Number(v);
    return {
      seen,
      visited: Number(meta.visited ?? 0),
      ok: Number(meta.ok ?? 0),
      startedAt: meta.startedAt ? Number(meta.startedAt) : null,
      seedsByNetwork,
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
