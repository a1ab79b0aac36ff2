import { ConfigError, InfraError } from '@bitcrawl/model';
import { CommanderError } from 'commander';
import { ZodError } from 'zod';
import { describeConnectionError } from './reachability.ts';

/**
 * The one place where an error becomes the CLI's exit code: 2 for configuration (bad flags,
 * settings, input files, a round the store does not hold), 1 for infrastructure that failed
 * for good (a server not there, a thread that died, a missing binary). Anything else is a bug
 * and goes up with its stack (undefined here). Commander ends --help and --version by throwing
 * too (exit code 0): that is a success.
 */
export function exitCodeOf(err: unknown): 0 | 1 | 2 | undefined {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ZodError || err instanceof ConfigError) return 2;
  if (err instanceof InfraError) return 1;
  // A connection refused or timed out by Redis or ClickHouse before any typed error wrapped it.
  if (describeConnectionError(err)) return 1;
  return undefined;
}
