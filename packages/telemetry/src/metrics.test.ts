import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startMetricsServer } from './http.ts';
import { createMetrics, PROCESS_PREFIX } from './metrics.ts';

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

  it('closes promptly while a client holds a connection open mid-request (shutdown must not wait on scrapers)', async () => {
    const m = createMetrics({ service: 'test', defaultMetrics: false });
    const srv = await startMetricsServer({ registry: m.registry, port: 0 });
    const client = net.connect(srv.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    client.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // headers never finished
    await new Promise((r) => setTimeout(r, 100));
    // Promptly: long before Node's own 60 s headers timeout would end that request (the wrong
    // behaviour), with room for a loaded machine.
    const outcome = await Promise.race([
      srv.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still open after 20 s'), 20_000)),
    ]);
    client.destroy();
    expect(outcome).toBe('closed');
  });
});

describe('event-loop lag', () => {
  it("exports the whole run's p99, which a scrape does not reset (prom-client's own p99 restarts)", async () => {
    const m = createMetrics({ service: 'test' });
    const p99 = async (name: string) => {
      const text = await m.registry.metrics();
      const v = new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+-]+|NaN)$`, 'm').exec(text)?.[1];
      return Number(v);
    };
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    while (Date.now() - t < 300); // one 300 ms stall among a few 10 ms samples
    await new Promise((r) => setTimeout(r, 50));
    const ours = 'bitcrawl_event_loop_lag_p99_seconds';
    const theirs = `${PROCESS_PREFIX}nodejs_eventloop_lag_p99_seconds`;
    expect(await p99(theirs)).toBeGreaterThan(0.25);
    expect(await p99(ours)).toBeGreaterThan(0.25);
    // Scraped again at once: prom-client's histogram was reset by the last scrape; ours was not.
    const again = await p99(theirs);
    expect(Number.isNaN(again) || again < 0.25).toBe(true);
    expect(await p99(ours)).toBeGreaterThan(0.25);
  });
});
