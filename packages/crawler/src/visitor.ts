import { MAX_ERROR_LENGTH, NODE_P2P_V2, type Observation, truncateText } from '@bitcrawl/model';
import { CHAINS, EMPTY_PACKED, type Endpoint, packedCount } from '@bitcrawl/protocol';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import { ByteBudget } from './byte-budget.ts';
import { type CrawlerConfig, type TransportMode, timeoutsFor } from './config.ts';
import { createPolicy, type Decision } from './policy.ts';
import { runSession, type TransportPlan } from './session.ts';
import { TransportMemory } from './transport-memory.ts';

/** An endpoint to visit, and the services its gossip entry advertised when it came from one (NODE_P2P_V2: try v2). */
export type VisitTarget = Endpoint & { services?: bigint };

/**
 * The transport plan of one visit. In 'v2-first' mode: v2 (with the v1 fallback) unless the
 * peer is known not to take it, from an earlier visit or from services advertised without
 * NODE_P2P_V2; an address whose services we do not know (a seed, `bitcrawl visit`) gets v2
 * with the fallback too.
 */
export function planTransport(
  mode: TransportMode,
  services: bigint | undefined,
  remembered: 'v1' | 'v2' | undefined,
): TransportPlan {
  if (mode === 'v1') return 'v1';
  if (mode === 'v2-only') return 'v2';
  if (remembered) return remembered === 'v2' ? 'v2-then-v1' : 'v1';
  if (services === undefined) return 'v2-then-v1';
  return (services & NODE_P2P_V2) !== 0n ? 'v2-then-v1' : 'v1';
}

export interface Visitor {
  /** `explicit`: the target was named by the operator (a seed, `bitcrawl visit`), not gossip. */
  visit(
    target: VisitTarget,
    ctx: {
      crawlId: string;
      signal?: AbortSignal;
      explicit?: boolean;
      refused?: Refusal;
      onPhase?: (phase: string, ms: number) => void;
      /** Awaited once connected, before a byte is sent (SessionParams.connected). */
      connected?: () => true | Promise<boolean>;
    },
  ): Promise<Observation>;
}

/** A gossip rule the caller applied before the visit (the per-IP cap): recorded as not_dialable. */
export interface Refusal {
  rule: 'per_ip';
  reason: string;
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
  const memory = new TransportMemory();
  const metrics = deps.metrics;
  const budget = new ByteBudget(config.maxBufferedBytes, undefined, {
    onChange: metrics ? (used) => metrics.bufferedBytes.set(used) : undefined,
    onEnd: metrics ? (how) => metrics.budgetShed.inc({ how }) : undefined,
  });
  return {
    async visit(target, ctx) {
      const t0 = performance.now(); // monotonic: a wall-clock step must not make a duration negative
      let decision: Decision;
      try {
        decision = ctx.refused
          ? { dial: false, rule: ctx.refused.rule, reason: ctx.refused.reason }
          : policy.decide(target, { explicit: ctx.explicit === true });
      } catch (err) {
        // The policy does not throw for a target; should it ever, the target is still just not dialable.
        decision = { dial: false, reason: `invalid target: ${(err as Error).message}` };
      }
      let obs: Observation;
      if (!decision.dial) {
        if (decision.rule) deps.metrics?.dialRefused.inc({ rule: decision.rule });
        obs = {
          ts: now(),
          crawlId: ctx.crawlId,
          network: target.network,
          host: target.host,
          port: target.port,
          transport: 'v1',
          v2Fallback: false,
          v2SessionId: '',
          outcome: 'not_dialable',
          error: truncateText(decision.reason, MAX_ERROR_LENGTH),
          peer: null,
          connectMs: 0,
          handshakeMs: 0,
          addrs: EMPTY_PACKED,
        };
      } else {
        deps.metrics?.sessionsActive.inc();
        const endpoint = { network: target.network, host: target.host, port: target.port };
        try {
          obs = await runSession({
            crawlId: ctx.crawlId,
            target: endpoint,
            transport: planTransport(config.transport, target.services, memory.get(endpoint)),
            dialTarget: { ...decision.target, port: target.port },
            route: decision.route,
            magic,
            userAgent: config.userAgent,
            timeouts: timeoutsFor(config, target.network),
            maxAddr: config.maxAddrPerSession,
            maxMessages: config.maxMessagesPerSession,
            now,
            budget,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
            ...(ctx.onPhase ? { onPhase: ctx.onPhase } : {}),
            ...(ctx.connected ? { connected: ctx.connected } : {}),
          });
        } finally {
          deps.metrics?.sessionsActive.dec();
        }
        memory.learn(endpoint, obs);
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
