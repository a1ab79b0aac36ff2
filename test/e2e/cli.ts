import path from 'node:path';
import type { Simnet } from '@bitcrawl/simnet';
import { loopbackTimerFlags, runCommand } from '@bitcrawl/testkit';

export const bin = path.resolve(import.meta.dirname, '../../services/cli/bin/bitcrawl.mjs');

/** Runs the `bitcrawl` command to completion. */
export const runCli = (args: string[]) => runCommand(process.execPath, [bin, ...args]);

/**
 * `bitcrawl crawl --once` over a simnet: from its seeds, private targets allowed, with the
 * short timers a loopback network allows (scaled to the machine's speed); `extra` adds flags
 * (store, proxies, crawl id, ...; a timer given there wins, as the last flag does).
 */
export function simnetCrawlArgs(sim: Simnet, ...extra: string[]): string[] {
  return [
    'crawl',
    '--once',
    '--no-dns',
    '--allow-private',
    ...sim.seeds.flatMap((s) => ['--seed', s]),
    '--concurrency',
    '300',
    ...loopbackTimerFlags(),
    ...extra,
  ];
}
