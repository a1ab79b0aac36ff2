import { MAX_ERROR_LENGTH, type Observation, truncateText } from '@bitcrawl/model';
import { CHAINS, EMPTY_PACKED, packedCount } from '@bitcrawl/protocol';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import { type CrawlerConfig, timeoutsFor } from './config.ts';
import { createPolicy, type Decision } from './policy.ts';
import { runSession } from './session.ts';

export interface VisitTarget {
  network: Observation['network'];
  host: string;
  port: number;
}

export interface Visitor {
  visit(target: VisitTarget, ctx: { crawlId: string; signal?: AbortSignal }): Promise<Observation>;
}

export interface VisitorDeps {
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** Applies the dial policy, runs one session, and records metrics. Peer failures are Observations. */
export function createVisitor(config: CrawlerConfig, deps: VisitorDeps = {}): Visitor {
  const policy = createPolicy(config);
  const now = deps.now ?? Date.now;
  const magic = CHAINS[config.chain].magic;
  return {
    async visit(target, ctx) {
      const t0 = performance.now(); // monotonic: a wall-clock step must not make a duration negative
      let decision: Decision;
      try {
        decision = policy.decide(target);
      } catch (err) {
        // The policy does not throw for a target; should it ever, the target is still just not dialable.
        decision = { dial: false, reason: `invalid target: ${(err as Error).message}` };
      }
      let obs: Observation;
      if (!decision.dial) {
        obs = {
          ts: now(),
          crawlId: ctx.crawlId,
          ...target,
          outcome: 'not_dialable',
          error: truncateText(decision.reason, MAX_ERROR_LENGTH),
          peer: null,
          connectMs: 0,
          handshakeMs: 0,
          addrs: EMPTY_PACKED,
        };
      } else {
        deps.metrics?.sessionsActive.inc();
        try {
          obs = await runSession({
            crawlId: ctx.crawlId,
            target,
            dialTarget: { ...decision.target, port: target.port },
            route: decision.route,
            magic,
            userAgent: config.userAgent,
            timeouts: timeoutsFor(config, target.network),
            maxAddr: config.maxAddrPerSession,
            maxMessages: config.maxMessagesPerSession,
            now,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
        } finally {
          deps.metrics?.sessionsActive.dec();
        }
      }
      deps.metrics?.visits.inc({ outcome: obs.outcome, network: obs.network });
      deps.metrics?.visitDuration.observe({ outcome: obs.outcome }, (performance.now() - t0) / 1000);
      const received = packedCount(obs.addrs);
      deps.metrics?.addressesReceived.inc(received);
      deps.logger?.debug({ target, outcome: obs.outcome, addrs: received }, 'visit');
      return obs;
    },
  };
}
