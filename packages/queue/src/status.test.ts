import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { CrawlJob } from './contract.ts';
import type { Frontier } from './frontier.ts';
import { createStatusSampler } from './status.ts';

/** A sampler over stand-ins: the round and its visited count are set per step. */
function sampler(steps: { round: string | null; visited: number }[]) {
  let i = -1;
  const frontier = {
    currentRound: async () => steps[++i]?.round ?? null,
    progress: async () => ({ seen: 0, visited: steps[i]?.visited ?? 0, ok: 0 }),
  } as unknown as Frontier;
  const crawlQueue = { getJobCounts: async () => ({}) } as unknown as Queue<CrawlJob>;
  const redis = {
    xinfo: async () => {
      throw new Error('no stream');
    },
  } as unknown as Redis;
  return createStatusSampler({ redis, frontier, crawlQueue });
}

const pause = () => new Promise((r) => setTimeout(r, 20));

describe('status sampler visits/s', () => {
  it('is the visited delta over time within one round', async () => {
    const sample = sampler([
      { round: 'r1', visited: 100 },
      { round: 'r1', visited: 150 },
    ]);
    expect((await sample()).visitsPerSecond).toBeNull();
    await pause();
    const rate = (await sample()).visitsPerSecond;
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(50 / 0.019);
  });

  it('is null when a new round starts, not the old round count subtracted', async () => {
    const sample = sampler([
      { round: 'r1', visited: 5000 },
      { round: 'r2', visited: 10 },
      { round: 'r2', visited: 30 },
    ]);
    await sample();
    await pause();
    expect((await sample()).visitsPerSecond).toBeNull();
    await pause();
    expect((await sample()).visitsPerSecond).toBeGreaterThan(0);
  });
});
