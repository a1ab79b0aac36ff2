import { KNOBS, numberOf } from '@bitcrawl/config';
import { InfraError, type Observation, observationToJson } from '@bitcrawl/model';
import { packedCount } from '@bitcrawl/protocol';
import { ingestBacklog, ObservationStreamReader, takeRoundEnded } from '@bitcrawl/queue/stream';
import {
  insertIsolatingRejects,
  insertNodeGeo,
  insertNodeLocation,
  insertObservations,
  type Store,
  writeRoundRows,
} from '@bitcrawl/storage';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { type GeoEnricher, geoRows, locationRows } from './geo.ts';

export const ingesterConfigSchema = z
  .object({
    batchSize: numberOf(KNOBS.batchSize),
    flushIntervalMs: numberOf(KNOBS.flushIntervalMs),
    consumer: z.string().min(1).max(100).default('ingester-1'),
    /** Entries another consumer left unacked this long are taken over. */
    claimIdleMs: numberOf(KNOBS.claimIdleMs),
    /** ip2asn-combined.tsv(.gz): when set, every batch also writes node_geo rows (loadGeoEnricher). */
    geoDb: z.string().min(1).optional(),
    /** MaxMind-format (MMDB) files, comma-separated: when set, every batch also writes node_location rows. */
    cityDb: z.string().min(1).optional(),
    /** JSON {"<asn>": "<provider>"} extending the built-in cloud ASN table; needs geoDb or cityDb. */
    cloudAsns: z.string().min(1).optional(),
    /**
     * Write the `rounds` rows of the rounds the seeder noted as ended (bitcrawl:rounds:ended).
     * Off in `crawl`, which writes its own (its ingest thread's store only inserts).
     */
    recordRounds: z.boolean().default(true),
  })
  .refine((c) => !c.cloudAsns || c.geoDb || c.cityDb, {
    message: 'the cloud ASN file needs a GeoIP/ASN database (GEOIP_ASN_DB / --geoip-asn-db or GEOIP_CITY_DB)',
    path: ['cloudAsns'],
  })
  // Entries wait in the ingester's own buffer up to a flush interval (and its insert); claimed
  // sooner, they would be taken back from itself and stored twice.
  .refine((c) => c.claimIdleMs > 2 * c.flushIntervalMs, {
    message: 'CLAIM_IDLE_MS must be more than twice FLUSH_INTERVAL_MS',
    path: ['claimIdleMs'],
  });

/**
 * A batch is also flushed once it holds this many gossiped addresses: a batch of BATCH_SIZE
 * reachable visits of up to 10,000 addresses each would otherwise hold millions of rows.
 */
const MAX_BATCH_ADDRS = 200_000;
/** Entries per stream read: with up to 10,000 addresses each, a read is held whole in memory. */
const READ_ENTRIES = 100;
export type IngesterConfig = z.output<typeof ingesterConfigSchema>;

export interface RunningIngester {
  /**
   * Flushes what it holds, then stops. With `drain`, it first reads and stores everything the
   * stream holds (the end of a `crawl --once`: nothing more will come).
   */
  stop(opts?: { drain?: boolean }): Promise<void>;
  /** Resolves when the ingester stopped after stop(); rejects with an IngesterError if it died. */
  stopped: Promise<void>;
}

/** The ingester cannot go on (a Redis reply that retrying will not fix, or a bug). */
export class IngesterError extends InfraError {
  readonly code = 'INGESTER_FATAL';
}

/** Redis replies that mean "try again later"; anything else from Redis is a real problem. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOGROUP)\b/;

/**
 * Connection-level failures (server down, restarting, timeouts) and the replies above are
 * transient: the read is retried with back-off. A ReplyError otherwise (WRONGTYPE, NOPERM,
 * NOSCRIPT ...) or a non-Redis error is fatal.
 */
export function isTransientRedisError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'ReplyError') return TRANSIENT_REPLY.test(err.message);
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(code))
    return true;
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Command timed out/i.test(err.message);
}

/**
 * Moves observations from the Redis stream into ClickHouse in batches (flush on size or
 * time). Entries are acked only after the insert succeeded; a failed insert is retried with
 * back-off and nothing is acked meanwhile, so a ClickHouse outage loses nothing. A Redis
 * outage is waited out the same way (reads retried with back-off); an error that retrying
 * cannot fix stops the ingester and rejects `stopped` with an IngesterError.
 */
/** How often the ingester looks for rounds the seeder noted as ended. */
const ROUNDS_CHECK_MS = 1000;

export function startIngester(
  deps: { redis: Redis; store: Store; logger: Logger; metrics?: Metrics; geo?: GeoEnricher | undefined },
  config: IngesterConfig,
): RunningIngester {
  const reader = new ObservationStreamReader(deps.redis, config.consumer, {
    batch: Math.min(config.batchSize, READ_ENTRIES),
    blockMs: Math.min(250, config.flushIntervalMs),
    claimIdleMs: config.claimIdleMs,
    onDeadLetter: ({ id, error }) => {
      deps.logger.warn({ id, reason: error }, 'invalid observation moved to the dead-letter stream');
      deps.metrics?.ingestDead.inc();
    },
  });
  let stopping = false;
  let draining = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  /** Runs a Redis operation, waiting out transient failures; returns undefined if stopped meanwhile. */
  const redisRetry = async <T>(what: string, op: () => Promise<T>): Promise<T | undefined> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isTransientRedisError(err))
          throw new IngesterError(`${what}: ${(err as Error).message}`, { cause: err });
        if (stopping) return undefined;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(attempt, 8));
        deps.logger.warn({ err: (err as Error).message, retryInMs: wait }, `${what} failed; will retry`);
        if ((err as Error).message.startsWith('NOGROUP')) await reader.ensureGroup().catch(() => {});
        await sleep(wait);
      }
    }
  };

  const flush = async (ids: string[], rows: Observation[]) => {
    let written: { observations: number; gossip: number; geo: number; location: number } | undefined;
    let refused: { id: string; raw: string; error: string }[] = [];
    // Computed once: the lookup is pure, and a retried insert must write the same rows.
    const geo = deps.geo ? geoRows(rows, deps.geo, { noData: true }) : [];
    const location = deps.geo?.city ? locationRows(rows, deps.geo) : [];
    const entries = rows.map((row, i) => ({ id: ids[i] as string, row }));
    for (let attempt = 0; !written; attempt++) {
      try {
        // A row ClickHouse refuses as data is set aside, not retried forever with its batch.
        const { accepted, rejected } = await insertIsolatingRejects(entries, async (batch) => {
          await insertObservations(
            deps.store,
            batch.map((e) => e.row),
          );
        });
        refused = rejected.map((r) => ({
          id: r.item.id,
          raw: observationToJson(r.item.row),
          error: `ClickHouse refused the row: ${r.error}`,
        }));
        written = {
          observations: accepted.length,
          gossip: accepted.reduce((n, e) => n + packedCount(e.row.addrs), 0),
          geo: await insertNodeGeo(deps.store, geo),
          location: await insertNodeLocation(deps.store, location),
        };
      } catch (err) {
        deps.metrics?.ingestBatches.inc({ result: 'error' });
        if (stopping && attempt >= 2) throw err;
        const wait = Math.min(30_000, 500 * 2 ** Math.min(attempt, 8));
        deps.logger.warn(
          { err: (err as Error).message, rows: rows.length, retryInMs: wait },
          'insert failed; will retry',
        );
        await sleep(wait);
      }
    }
    // Stored: ack (retried through Redis outages; a re-insert after a lost ack is de-duplicated
    // by the table, a lost row is not). Metrics only after, outside any retry loop.
    if (refused.length > 0) {
      await redisRetry('dead-lettering refused rows', () => reader.deadLetter(refused));
      const gone = new Set(refused.map((r) => r.id));
      ids = ids.filter((id) => !gone.has(id));
    }
    await redisRetry('ack', () => reader.ack(ids));
    deps.metrics?.ingestRows.inc({ table: 'observations' }, written.observations);
    deps.metrics?.ingestRows.inc({ table: 'addr_gossip' }, written.gossip);
    if (deps.geo) deps.metrics?.ingestRows.inc({ table: 'node_geo' }, written.geo);
    if (deps.geo?.city) deps.metrics?.ingestRows.inc({ table: 'node_location' }, written.location);
    deps.metrics?.ingestBatches.inc({ result: 'ok' });
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of rows) oldest = Math.min(oldest, r.ts);
    deps.metrics?.ingestLag.set((Date.now() - oldest) / 1000);
  };

  /**
   * The rounds the seeder noted as ended get their `rounds` rows. The seeder notes a round once
   * the backlog is empty, so its visits are stored. A failed write leaves the note for later.
   */
  let roundsCheckedAt = 0;
  const recordEndedRounds = async () => {
    if (!config.recordRounds || Date.now() - roundsCheckedAt < ROUNDS_CHECK_MS) return;
    roundsCheckedAt = Date.now();
    try {
      for (;;) {
        const taken = await takeRoundEnded(deps.redis, async (r) => {
          await writeRoundRows(deps.store, r);
        });
        if (!taken) return;
        if (taken.bad) deps.logger.warn({ note: taken.bad }, 'dropped a round-ended note that is not one');
        else deps.logger.info({ crawlId: taken.round?.crawlId }, 'round recorded');
      }
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'writing the rounds rows failed; will retry');
    }
  };

  const loop = async () => {
    await redisRetry('creating the consumer group', () => reader.ensureGroup());
    let ids: string[] = [];
    let rows: Observation[] = [];
    let addrs = 0;
    let firstAt = 0;
    while (!stopping || ids.length > 0) {
      if (!stopping) {
        const batch = await redisRetry('reading the stream', () => reader.read({ block: !draining }));
        // Draining: the stream is read to its end without waiting, then what is held is flushed.
        if (draining && batch && batch.ids.length === 0) stopping = true;
        if (batch) {
          if (batch.ids.length > 0 && ids.length === 0) firstAt = Date.now();
          ids = ids.concat(batch.ids);
          rows = rows.concat(batch.observations);
          for (const o of batch.observations) addrs += packedCount(o.addrs);
          const backlog = await redisRetry('reading the backlog', () => ingestBacklog(deps.redis));
          if (backlog !== undefined) deps.metrics?.ingestBacklog.set(backlog);
        }
      }
      const due =
        ids.length >= config.batchSize ||
        addrs >= MAX_BATCH_ADDRS ||
        (ids.length > 0 && Date.now() - firstAt >= config.flushIntervalMs) ||
        stopping;
      if (due && ids.length > 0) {
        await flush(ids, rows);
        ids = [];
        rows = [];
        addrs = 0;
      }
      if (ids.length === 0 && !stopping) await recordEndedRounds();
    }
  };
  const stopped = loop().catch((err: unknown) => {
    deps.logger.error({ err: (err as Error).message }, 'ingester stopped on error');
    throw err instanceof IngesterError ? err : new IngesterError((err as Error).message, { cause: err });
  });
  // The caller watches `stopped`; this keeps an unwatched failure from being unhandled twice.
  stopped.catch(() => {});
  return {
    stopped,
    async stop(opts = {}) {
      if (opts.drain) draining = true;
      else stopping = true;
      wake?.();
      await stopped;
    },
  };
}
