import { type createMetrics, PROCESS_PREFIX } from '@bitcrawl/telemetry';
import { AggregatorRegistry } from 'prom-client';
import type { EngineThreads } from './threads.ts';

/**
 * /metrics of a threaded worker: the engines' counters, gauges and histograms summed over this
 * thread and the crawl threads; the process figures (CPU, RSS, handles, this thread's heap and
 * event loop) as this thread's registry has them, since summing them is meaningless and
 * prom-client's aggregation drops some (the start time).
 */
export async function threadedMetrics(
  own: ReturnType<typeof createMetrics>,
  threads: Pick<EngineThreads, 'metrics'>,
): Promise<string> {
  const mine = await own.registry.getMetricsAsJSON();
  const isProcess = (name: string) => name.startsWith(PROCESS_PREFIX);
  const engines = AggregatorRegistry.aggregate([
    mine.filter((m) => !isProcess(m.name)),
    ...(await threads.metrics()).map((t) => t.filter((m) => !isProcess(m.name))),
  ]);
  const processText = await Promise.all(
    mine.filter((m) => isProcess(m.name)).map((m) => own.registry.getSingleMetricAsString(m.name)),
  );
  return `${await engines.metrics()}${processText.map((t) => `${t}\n`).join('')}`;
}
