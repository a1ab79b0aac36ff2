import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { loopDelay } from './loop-lag.ts';

/** The prefix of the process figures prom-client collects (CPU, RSS, heap, event loop, ...). */
export const PROCESS_PREFIX = 'bitcrawl_process_';

/**
 * Every metric bitcrawl exports, named once here so dashboards, alerts and tests agree.
 * Each process creates one registry in main.ts.
 */
export function createMetrics(opts: { service: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  const r = [registry];
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PROCESS_PREFIX });
    const lag = loopDelay();
    new Gauge({
      name: 'bitcrawl_event_loop_lag_p99_seconds',
      help:
        "p99 of the main thread's event-loop delay since the process started (10 ms resolution); " +
        `${PROCESS_PREFIX}nodejs_eventloop_lag_p99_seconds covers only the time since the last scrape`,
      registers: r,
      collect() {
        this.set(lag.p99Ms() / 1000);
      },
    });
  }
  return {
    registry,
    visits: new Counter({
      name: 'bitcrawl_visits_total',
      help: 'Peer visits finished, by outcome class and network',
      labelNames: ['outcome', 'network'] as const,
      registers: r,
    }),
    sessionsActive: new Gauge({
      name: 'bitcrawl_sessions_active',
      help: 'Peer sessions currently open in this process',
      registers: r,
    }),
    visitDuration: new Histogram({
      name: 'bitcrawl_visit_duration_seconds',
      help: 'Wall time of one visit, connect to disconnect',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: r,
    }),
    dialRefused: new Counter({
      name: 'bitcrawl_dial_refused_total',
      help: 'Gossiped targets not dialed by a gossip rule (bad_port, port_zero, per_ip, per_source)',
      labelNames: ['rule'] as const,
      registers: r,
    }),
    bufferedBytes: new Gauge({
      name: 'bitcrawl_peer_buffered_bytes',
      help: 'Bytes of unfinished peer frames held or reserved against the byte budget, this process',
      registers: r,
    }),
    budgetShed: new Counter({
      name: 'bitcrawl_budget_shed_total',
      help: 'Visits ended because the peer-data byte budget was exhausted, by how (shed: largest buffer dropped; refused: large frame not accepted)',
      labelNames: ['how'] as const,
      registers: r,
    }),
    addressesReceived: new Counter({
      name: 'bitcrawl_addresses_received_total',
      help: 'Addresses received in getaddr answers',
      registers: r,
    }),
    addressesEnqueued: new Counter({
      name: 'bitcrawl_addresses_enqueued_total',
      help: 'Newly discovered addresses that passed the round de-duplication and were enqueued',
      registers: r,
    }),
    ingestRows: new Counter({
      name: 'bitcrawl_ingest_rows_total',
      help: 'Rows written to ClickHouse, by table',
      labelNames: ['table'] as const,
      registers: r,
    }),
    ingestBatches: new Counter({
      name: 'bitcrawl_ingest_batches_total',
      help: 'Insert batches, by result',
      labelNames: ['result'] as const,
      registers: r,
    }),
    ingestLag: new Gauge({
      name: 'bitcrawl_ingest_lag_seconds',
      help: 'Age of the oldest observation in the last flushed batch',
      registers: r,
    }),
    ingestDead: new Counter({
      name: 'bitcrawl_ingest_dead_total',
      help: 'Observation stream entries that failed validation and were moved to the dead-letter stream',
      registers: r,
    }),
    workerThrottled: new Gauge({
      name: 'bitcrawl_worker_throttled',
      help: 'Whether the worker takes no new visits because the ingest backlog is over MAX_INGEST_BACKLOG (1) or not (0)',
      registers: r,
    }),
    ingestBacklog: new Gauge({
      name: 'bitcrawl_ingest_backlog',
      help: 'Observation stream entries not yet written (stream length past the group cursor plus pending)',
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
