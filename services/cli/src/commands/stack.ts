import { fileURLToPath } from 'node:url';
import { addFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import type { CliEntry } from '../main.ts';

/** `bitcrawl stack` (npm run stack): the compose topology as local processes. */
export function register(program: Command, entry: CliEntry = {}): void {
  const cmd = program
    .command('stack')
    .description('run redis, clickhouse, seeder, N workers, ingester and dashboard as local processes');
  addFlags(cmd, 'stack').action(async (raw: Record<string, unknown>) => {
    const { flagsToEnv, fromFlags, profileEnv } = await import('@bitcrawl/config');
    const o = fromFlags('stack', raw);
    const { runStack } = await import('@bitcrawl/stack');
    // The services' knobs given as flags (--seed, --no-dns, --allow-private, ...) as their
    // variables, over the profile's timers; an --env of the same name beats both.
    const env: Record<string, string> = { ...profileEnv(o.profile), ...flagsToEnv('stack', raw) };
    for (const kv of o.env) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    const controller = new AbortController();
    const { onStopSignals } = await import('../stop-signals.ts');
    onStopSignals(() => controller.abort());
    // The services run from the script this CLI runs from (the bin, or the image's bundle).
    const cli = entry.script ?? fileURLToPath(new URL('../../bin/bitcrawl.mjs', import.meta.url));
    process.exitCode = await runStack(
      {
        workers: o.workers,
        once: o.once,
        dashboardPort: o.dashboardPort,
        data: o.data,
        env,
        ...(o.storeDir ? { store: o.storeDir } : {}),
      },
      cli,
      (line) => process.stdout.write(`${line}\n`),
      controller.signal,
    );
  });
}
