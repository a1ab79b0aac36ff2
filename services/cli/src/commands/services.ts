import { addFlags, flagsToEnv, type Use } from '@bitcrawl/config';
import type { Command } from 'commander';
import { refuseExamplePasswords } from '../example-secrets.ts';
import type { CliEntry } from '../main.ts';

/**
 * A service as its own process: configured by its environment variables or the flags that stand
 * for them (each knob's flag sets its variable; validated in the service's main.ts, where a bad
 * value names the variable and exits 2).
 */
function serviceCommand(
  program: Command,
  use: Use,
  description: string,
  run: (env: NodeJS.ProcessEnv) => Promise<void>,
): void {
  const cmd = program.command(use).description(description);
  addFlags(cmd, use).action(async (o: Record<string, unknown>) =>
    run(refuseExamplePasswords({ ...process.env, ...flagsToEnv(use, o) })),
  );
}

/** `bitcrawl seeder|worker|ingester|dashboard`: each service as its own process. */
export function register(program: Command, entry: CliEntry = {}): void {
  serviceCommand(
    program,
    'seeder',
    'start crawl rounds from DNS seeds, --seed and fixed seeds (env: REDIS_URL, CHAIN, SEEDS, DNS, ...)',
    async (env) => (await import('@bitcrawl/seeder')).main(env),
  );
  serviceCommand(
    program,
    'worker',
    'visit peers from the crawl queue (env: REDIS_URL, CONCURRENCY, ALLOW_PRIVATE, PROXY_*, ...)',
    async (env) =>
      (await import('@bitcrawl/worker')).main(
        env,
        entry.workerThreadEntry ? { threadEntry: entry.workerThreadEntry } : {},
      ),
  );
  serviceCommand(
    program,
    'ingester',
    'move observations into ClickHouse (env: REDIS_URL, CLICKHOUSE_URL or STORE_DIR, ...)',
    async (env) => (await import('@bitcrawl/ingester')).main(env),
  );
  serviceCommand(
    program,
    'dashboard',
    'serve Bull Board and a live headline page (env: REDIS_URL, CLICKHOUSE_URL, DASHBOARD_PORT, DASHBOARD_HOST)',
    async (env) => (await import('@bitcrawl/dashboard')).main(env),
  );
}
