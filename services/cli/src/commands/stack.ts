import path from 'node:path';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { PROFILES, TIMEOUT_OPTIONS } from '../timeout-options.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const optsSchema = z.object({
  workers: z.coerce.number().int().min(1).max(64).default(2),
  store: z.string().optional(),
  data: z.string().default('data/clickhouse'),
  once: z.boolean().default(false),
  dashboardPort: z.coerce.number().int().min(0).max(65535).default(8080),
  seed: z.array(z.string()).default([]),
  dns: z.boolean().default(true),
  allowPrivate: z.boolean().default(false),
  roundInterval: z
    .string()
    .regex(/^\d{1,10}$/, 'milliseconds, a whole number')
    .optional(),
  env: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*=.*$/, 'use KEY=VALUE')).default([]),
  profile: z.string().optional(),
});

/** `bitcrawl stack` (npm run stack): the compose topology as local processes. */
export function register(program: Command): void {
  program
    .command('stack')
    .description('run redis, clickhouse, seeder, N workers, ingester and dashboard as local processes')
    .option('--workers <n>', 'worker processes', '2')
    .addOption(
      new Option('--data <dir>', "clickhouse-server's data folder, kept when the stack stops").default(
        'data/clickhouse',
      ),
    )
    .addOption(
      new Option(
        '--store <dir>',
        'embedded ClickHouse (chdb) instead of clickhouse-server from PATH',
      ).conflicts('data'),
    )
    .option('--once', 'crawl one round, wait for it to be stored, stop everything')
    .option('--dashboard-port <port>', 'dashboard port on 127.0.0.1', '8080')
    .option('--seed <host:port>', 'seed address (repeatable) -> SEEDS', collect)
    .option('--no-dns', 'do not resolve DNS seeds -> DNS=false')
    .option('--allow-private', 'allow loopback/private targets -> ALLOW_PRIVATE=true')
    .option(
      '--round-interval <ms>',
      "-> ROUND_INTERVAL_MS: the seeder's rounds start this long apart, or when the previous ends (30 min)",
    )
    .option('--env <KEY=VALUE>', 'extra environment for every service (repeatable)', collect)
    .addOption(
      new Option(
        '--profile <name>',
        "the workers' timers: internet (defaults) or loopback (simnets, labs)",
      ).choices(Object.keys(PROFILES)),
    )
    .action(async (raw: unknown) => {
      const o = optsSchema.parse(raw);
      const { runStack } = await import('@bitcrawl/stack');
      // The profile's timers as the workers' variables; an --env of the same name beats them.
      const env: Record<string, string> = profileEnv(o.profile);
      Object.assign(
        env,
        Object.fromEntries(o.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      );
      if (o.seed.length) env.SEEDS = o.seed.join(',');
      if (!o.dns) env.DNS = 'false';
      if (o.allowPrivate) env.ALLOW_PRIVATE = 'true';
      if (o.roundInterval !== undefined) env.ROUND_INTERVAL_MS = o.roundInterval;
      const controller = new AbortController();
      const { onStopSignals } = await import('../stop-signals.ts');
      onStopSignals(() => controller.abort());
      const cli = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');
      process.exitCode = await runStack(
        {
          workers: o.workers,
          once: o.once,
          dashboardPort: o.dashboardPort,
          data: o.data,
          env,
          ...(o.store ? { store: o.store } : {}),
        },
        cli,
        (line) => process.stdout.write(`${line}\n`),
        controller.signal,
      );
    });
}

/** A timer profile as the environment variables the workers read. */
function profileEnv(name: string | undefined): Record<string, string> {
  const timers = name ? (PROFILES[name] ?? {}) : {};
  const env: Record<string, string> = {};
  for (const t of TIMEOUT_OPTIONS) {
    const v = timers[t.config];
    if (v !== undefined) env[t.env] = String(v);
  }
  return env;
}
