import { randomUUID } from 'node:crypto';
import { CRAWL_ID_PATTERN } from '@bitcrawl/config/defaults';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { PREFIX } from './contract.ts';

/**
 * One seeder leads a deployment's rounds at a time. A second seeder (a scaled-up service, a
 * restarted one whose old copy still runs) would start rounds of its own beside the first, so
 * each holds this lease while it runs rounds and stands by while another holds it. The lease is
 * a key with an expiry, renewed well inside it: a seeder that dies (SIGKILL, host lost) gives
 * it up within LEASE_MS, and a standby takes the round over where it was (SEEDER_ROUND_KEY).
 */
export const SEEDER_LEASE_KEY = `${PREFIX}:seeder:leader`;
/** The round the leading seeder is running, so a seeder that takes over resumes it. */
export const SEEDER_ROUND_KEY = `${PREFIX}:seeder:current`;

export const LEASE_MS = 30_000;
const RENEW_MS = LEASE_MS / 3;

/** Renews only our own lease (another seeder may hold it after ours lapsed). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class SeederLease {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = LEASE_MS,
  ) {}

  /**
   * Waits until this seeder holds the lease (or the signal ends the wait: false). `standingBy`
   * is called once if another seeder holds it when we first ask.
   */
  async acquire(signal: AbortSignal, standingBy?: (holder: string) => void): Promise<boolean> {
    let told = false;
    while (!signal.aborted) {
      if ((await this.redis.set(SEEDER_LEASE_KEY, this.id, 'PX', this.leaseMs, 'NX')) === 'OK') {
        this.lost = false;
        this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
        this.timer.unref();
        return true;
      }
      if (!told) {
        told = true;
        standingBy?.((await this.redis.get(SEEDER_LEASE_KEY)) ?? '');
      }
      await new Promise((r) => setTimeout(r, Math.min(RENEW_MS, this.leaseMs / 3)));
    }
    return false;
  }

  /** False once a renewal found the lease gone or another's: stop leading at once. */
  held(): boolean {
    return this.timer !== undefined && !this.lost;
  }

  private async renew(): Promise<void> {
    try {
      const ok = await this.redis.eval(RENEW, 1, SEEDER_LEASE_KEY, this.id, String(this.leaseMs));
      if (Number(ok) !== 1) this.lost = true;
    } catch {
      // Redis away for a moment: the lease holds until it expires; the next renewal decides.
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE, 1, SEEDER_LEASE_KEY, this.id).catch(() => {});
  }
}

const currentRoundSchema = z.object({
  crawlId: z.string().regex(CRAWL_ID_PATTERN),
  started: z.number().int().nonnegative(),
  seedsByNetwork: z.record(z.string(), z.number().int().nonnegative()),
});
export type CurrentRound = z.output<typeof currentRoundSchema>;

export async function saveCurrentRound(redis: Redis, r: CurrentRound): Promise<void> {
  await redis.set(SEEDER_ROUND_KEY, JSON.stringify(currentRoundSchema.parse(r)));
}

/** The round a previous leader left running, if any (an unreadable note is dropped). */
export async function currentRound(redis: Redis): Promise<CurrentRound | undefined> {
  const raw = await redis.get(SEEDER_ROUND_KEY);
  if (raw === null) return undefined;
  try {
    return currentRoundSchema.parse(JSON.parse(raw));
  } catch {
    await redis.del(SEEDER_ROUND_KEY);
    return undefined;
  }
}

export async function clearCurrentRound(redis: Redis): Promise<void> {
  await redis.del(SEEDER_ROUND_KEY);
}
