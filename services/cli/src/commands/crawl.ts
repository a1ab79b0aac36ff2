import { addFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import type { CliEntry } from '../main.ts';
import { redactUrl } from '../reachability.ts';

/** `bitcrawl crawl`: the whole pipeline in one process, for one machine. */
export function register(program: Command, entry: CliEntry = {}): void {
  const cmd = program
    .command('crawl')
    .description('crawl a network with seeder, worker and ingester in one process');
  addFlags(cmd, 'crawl').action(async (raw: Record<string, unknown>) => {
    const { fromFlags, inputOf, parseNamed, profileTimers } = await import('@bitcrawl/config');
    const o = profileTimers(fromFlags('crawl', raw, process.env));
    const { crawlerConfigSchema } = await import('@bitcrawl/crawler');
    const { seederConfigSchema } = await import('@bitcrawl/seeder');
    const { workerConfigSchema } = await import('@bitcrawl/worker');
    const { ingesterConfigSchema } = await import('@bitcrawl/ingester');
    const { DEFAULT_REVISIT } = await import('@bitcrawl/queue');
    const { createLogger } = await import('@bitcrawl/telemetry');
    const { runLocalCrawl } = await import('../compose/local-crawl.ts');
    // Each config from the knobs that feed it; a bad value is named by its flag.
    const configOf = <T>(
      component: 'crawler' | 'seeder' | 'worker' | 'ingester',
      schema: { parse(i: unknown): T },
    ) => parseNamed(component, 'crawl', 'flag', () => schema.parse(inputOf(component, 'crawl', o)));
    const crawler = configOf('crawler', crawlerConfigSchema);
    const logger = createLogger({ service: 'crawl', level: o.logLevel, destination: process.stderr });
    const controller = new AbortController();
    // The first signal stops the crawl gracefully; a second one ends the process at once.
    const { onStopSignals } = await import('../stop-signals.ts');
    const offSignals = onStopSignals(() => controller.abort());
    const summary = await runLocalCrawl(
      {
        ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}),
        store: o.clickhouseUrl ? { url: o.clickhouseUrl } : { dir: o.storeDir },
        crawler,
        seeder: configOf('seeder', seederConfigSchema),
        worker: configOf('worker', workerConfigSchema),
        // crawl writes its rounds rows itself, when each round ends.
        ingester: { ...configOf('ingester', ingesterConfigSchema), recordRounds: false },
        revisit: DEFAULT_REVISIT,
        once: o.once,
        // Without --once each round's summary is a JSON line as it ends (the last one too).
        ...(o.once ? {} : { onRound: (s) => process.stdout.write(`${JSON.stringify(s)}\n`) }),
        ...(o.crawlId ? { crawlId: o.crawlId } : {}),
        progress: (line) => process.stderr.write(`${line}\n`),
        logger,
        logLevel: o.logLevel,
        ...(entry.ingestThreadEntry ? { ingestThreadEntry: entry.ingestThreadEntry } : {}),
        threads: o.threads,
        ...(entry.workerThreadEntry ? { workerThreadEntry: entry.workerThreadEntry } : {}),
      },
      controller.signal,
    );
    offSignals();
    if (o.once) process.stdout.write(`${JSON.stringify(summary)}\n`);
    const read = o.clickhouseUrl ? `--clickhouse ${redactUrl(o.clickhouseUrl)}` : `--store ${o.storeDir}`;
    if (summary.crawlId)
      process.stderr.write(
        `round ${summary.crawlId}: stored in ${summary.store} (bitcrawl report ${read} --round ${summary.crawlId})\n`,
      );
    else process.stderr.write('bitcrawl: stopped before a round started\n');
    // A partial round is not a finished one: scripts see it in the status as in the summary.
    if (summary.interrupted) process.exitCode = 130;
    // Nothing answered: a dead network must not look like a successful crawl.
    else if (summary.reachable === 0) {
      process.stderr.write('bitcrawl: no peer reachable: check the network\n');
      process.exitCode = 3;
    }
  });
}
