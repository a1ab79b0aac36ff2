import { CRAWL_ID_PATTERN } from '@bitcrawl/config/defaults';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { PREFIX } from './contract.ts';

/**
 * A round that ended in a deployment of services: the seeder saw it end (every address visited,
 * nothing queued, the ingester caught up) and leaves this for the ingester, which owns the store
 * and writes the round's `rounds` rows from it. A Redis list, so a note survives an ingester
 * that is down or restarting.
 */
export const ROUNDS_ENDED_KEY = `${PREFIX}:rounds:ended`;

const counts = z.record(z.string(), z.number().int().nonnegative());
export const roundEndedSchema = z.object({
  crawlId: z.string().regex(CRAWL_ID_PATTERN),
  /** ms since the epoch. */
  started: z.number().int().nonnegative(),
  finished: z.number().int().nonnegative(),
  seedsByNetwork: counts,
  /** Addresses whose jobs failed for good, per network. */
  failedByNetwork: counts,
  /** The seeder was stopped before the round ended. */
  interrupted: z.boolean(),
});
export type RoundEnded = z.output<typeof roundEndedSchema>;

export async function pushRoundEnded(redis: Redis, r: RoundEnded): Promise<void> {
  await redis.rpush(ROUNDS_ENDED_KEY, JSON.stringify(roundEndedSchema.parse(r)));
}

/**
 * Handles the oldest note, if any: `write` runs first and the note is removed only after it
 * succeeded (a failed write leaves it for the next try). A note that is not one (bad JSON, a
 * foreign writer) is dropped and returned as `bad`. Returns undefined when there is none.
 */
export async function takeRoundEnded(
  redis: Redis,
  write: (r: RoundEnded) => Promise<void>,
): Promise<{ round?: RoundEnded; bad?: string } | undefined> {
  const raw = await redis.lindex(ROUNDS_ENDED_KEY, 0);
  if (raw === null) return undefined;
  let round: RoundEnded | undefined;
  try {
    round = roundEndedSchema.parse(JSON.parse(raw));
  } catch {
    await redis.lrem(ROUNDS_ENDED_KEY, 1, raw);
    return { bad: raw.slice(0, 200) };
  }
  await write(round);
  await redis.lrem(ROUNDS_ENDED_KEY, 1, raw);
  return { round };
}
