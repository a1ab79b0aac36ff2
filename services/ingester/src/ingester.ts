import type { Observation } from '@bitcrawl/model';
import { ingestBacklog, ObservationStreamReader } from '@bitcrawl/queue';
import { insertObservations, type Store } from '@bitcrawl/storage';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const ingesterConfigSchema = z.object({
  batchSize: z.number().int().min(1).max(100_000).default(5_000),
  flushIntervalMs: z.number().int().min(10).max(600_000).default(2_000),
  consumer: z.string().min(1).max(100).default('ingester-1'),
  /** Entries another consumer left unacked this long are taken over. */
  claimIdleMs: z.number().int().min(1000).default(60_000),
});
export type IngesterConfig = z.output<typeof ingesterConfigSchema>;

export interface RunningIngester {
  /** Flushes what it holds, then stops. */
  stop(): Promise<void>;
  stopped: Promise<void>;
}

/**
 * Moves observations from the Redis stream into ClickHouse in batches (flush on size or
 * time). Entries are acked only after the insert succeeded; a failed insert is retried with
 * back-off and nothing is acked meanwhile, so a ClickHouse outage loses nothing.
 */
export function startIngester(
  deps: { redis: Redis; store: Store; logger: Logger; metrics?: Metrics },
  config: IngesterConfig,
): RunningIngester {
  const reader = new ObservationStreamReader(deps.redis, config.consumer, {
    batch: Math.min(config.batchSize, 1000),
    blockMs: Math.min(1000, config.flushIntervalMs),
    claimIdleMs: config.claimIdleMs,
  });
  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  const flush = async (ids: string[], rows: Observation[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const n = await insertObservations(deps.store, rows);
        await reader.ack(ids);
        deps.metrics?.ingestRows.inc({ table: 'observations' }, n.observations);
        deps.metrics?.ingestRows.inc({ table: 'addr_gossip' }, n.gossip);
        deps.metrics?.ingestBatches.inc({ result: 'ok' });
        const oldest = Math.min(...rows.map((r) => r.ts));
        deps.metrics?.ingestLag.set((Date.now() - oldest) / 1000);
        return;
      } catch (err) {
        deps.metrics?.ingestBatches.inc({ result: 'error' });
        if (stopping && attempt >= 2) throw err;
        const wait = Math.min(30_000, 500 * 2 ** attempt);
        deps.logger.warn(
          { err: (err as Error).message, rows: rows.length, retryInMs: wait },
          'insert failed; will retry',
        );
        await sleep(wait);
      }
    }
  };

  const loop = async () => {
    await reader.ensureGroup();
    let ids: string[] = [];
    let rows: Observation[] = [];
    let firstAt = 0;
    while (!stopping || ids.length > 0) {
      if (!stopping) {
        const batch = await reader.read();
        if (batch.ids.length > 0 && ids.length === 0) firstAt = Date.now();
        ids = ids.concat(batch.ids);
        rows = rows.concat(batch.observations);
        deps.metrics?.ingestBacklog.set(await ingestBacklog(deps.redis));
      }
      const due =
        ids.length >= config.batchSize ||
        (ids.length > 0 && Date.now() - firstAt >= config.flushIntervalMs) ||
        stopping;
      if (due && ids.length > 0) {
        await flush(ids, rows);
        ids = [];
        rows = [];
      }
    }
  };
  const stopped = loop().catch((err) => {
    deps.logger.error({ err: (err as Error).message }, 'ingester stopped on error');
    throw err;
  });
  return {
    stopped,
    async stop() {
      stopping = true;
      wake?.();
      await stopped;
    },
  };
}
