import type { Command } from 'commander';
import { refuseExamplePasswords } from '../example-secrets.ts';

/** `bitcrawl dashboard`: Bull Board plus the crawl's headline page (env: REDIS_URL, CLICKHOUSE_URL, DASHBOARD_PORT). */
export function register(program: Command): void {
  program
    .command('dashboard')
    .description(
      'serve Bull Board and a live headline page (env: REDIS_URL, CLICKHOUSE_URL, DASHBOARD_PORT, DASHBOARD_HOST)',
    )
    .action(async () => (await import('@bitcrawl/dashboard')).main(refuseExamplePasswords(process.env)));
}
