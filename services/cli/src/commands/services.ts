import type { Command } from 'commander';

/**
 * `bitcrawl seeder|worker|ingester`: each service as its own process, configured by
 * environment variables (validated with zod in the service's main.ts; a bad value exits 2).
 */
export function register(program: Command): void {
  program
    .command('seeder')
    .description(
      'start crawl rounds from DNS seeds, SEEDS and fixed seeds (env: REDIS_URL, CHAIN, SEEDS, DNS, ...)',
    )
    .action(async () => (await import('@bitcrawl/seeder')).main(process.env));
  program
    .command('worker')
    .description(
      'visit peers from the crawl queue (env: REDIS_URL, CONCURRENCY, ALLOW_PRIVATE, PROXY_*, ...)',
    )
    .action(async () => (await import('@bitcrawl/worker')).main(process.env));
  program
    .command('ingester')
    .description('move observations into ClickHouse (env: REDIS_URL, CLICKHOUSE_URL or STORE_DIR, ...)')
    .action(async () => (await import('@bitcrawl/ingester')).main(process.env));
}
