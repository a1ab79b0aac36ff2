import { describe, expect, it } from 'vitest';
import { startMetricsServer } from './http.ts';
import { createMetrics } from './metrics.ts';

describe('metrics server', () => {
  it('serves registry and extra text on /metrics', async () => {
    const m = createMetrics({ service: 'test', defaultMetrics: false });
    m.visits.inc({ outcome: 'ok', network: 'ipv4' }, 3);
    const srv = await startMetricsServer({
      registry: m.registry,
      port: 0,
      extra: async () => 'bullmq_job_count{queue="crawl",state="waiting"} 7',
    });
    try {
      const text = await (await fetch(`http://127.0.0.1:${srv.port}/metrics`)).text();
      expect(text).toContain('bitcrawl_visits_total{outcome="ok",network="ipv4",service="test"} 3');
      expect(text).toContain('bullmq_job_count{queue="crawl",state="waiting"} 7');
      expect((await fetch(`http://127.0.0.1:${srv.port}/healthz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});
