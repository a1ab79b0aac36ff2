import { ConfigError, InfraError } from '@bitcrawl/model';
import { MissingBinaryError, which } from '@bitcrawl/servers';
import { preferChdbAllocator } from '@bitcrawl/storage/chdb-allocator';
import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { registerCommands } from './commands/index.ts';
import { exitCodeOf } from './exit-codes.ts';
import { describeConnectionError } from './reachability.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

/** Where the CLI's entry script finds its companions (set by bin/bitcrawl.mjs and the bundle's entry). */
export interface CliEntry {
  /** The script a crawl thread of `bitcrawl worker` runs (THREADS > 1). */
  workerThreadEntry?: string;
  /** The script the ingest thread of `bitcrawl crawl` runs. */
  ingestThreadEntry?: string;
  /** The script this CLI runs from, which `bitcrawl stack` runs its services with. */
  script?: string;
}

/** Builds the `bitcrawl` program. Each command lives in ./commands and only wires config to a package. */
export function buildProgram(entry: CliEntry = {}): Command {
  const program = new Command('bitcrawl')
    .description('A distributed crawler of the Bitcoin peer-to-peer network')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerCommands(program, entry);
  return program;
}

/** Runs the CLI and returns the process exit code (2 for bad arguments, as documented). */
export async function main(argv: string[], entry: CliEntry = {}): Promise<number> {
  // Before any command loads chdb, on this (the main) thread.
  preferChdbAllocator(process.env);
  const program = buildProgram(entry);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const code = exitCodeOf(err);
    if (code === undefined) throw err;
    const message = describe(err);
    if (message) process.stderr.write(`bitcrawl: ${message}\n`);
    return code;
  }
}

/** The one-line message for an error exitCodeOf knows (empty: commander printed it already). */
function describe(err: unknown): string {
  if (err instanceof CommanderError) return '';
  if (err instanceof ZodError) {
    const lines = err.issues.map((i) => `  ${i.path.join('.') || '(value)'}: ${inWords(i)}`);
    return `invalid configuration:\n${lines.join('\n')}`;
  }
  if (err instanceof MissingBinaryError) return `${err.binary} is not installed: ${installLine(err.binary)}`;
  if (err instanceof UsageError || err instanceof InfraError) return err.message;
  // A GeoIP/ASN or cloud ASN file that cannot be used, say (the message names the file and line).
  if (err instanceof ConfigError) return `invalid configuration: ${err.message}`;
  return describeConnectionError(err) ?? (err as Error).message;
}

/** What to set, for a setting that is missing (zod says "expected string, received undefined"). */
const MISSING_HINTS: Record<string, string> = {
  REDIS_URL:
    'set REDIS_URL=redis://HOST:6379 (with a password: redis://:PASSWORD@HOST:6379), or pass --redis URL',
};

function inWords(issue: ZodError['issues'][number]): string {
  const name = String(issue.path[0] ?? '');
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `not set: ${MISSING_HINTS[name] ?? `set ${name}`}`;
  return issue.message;
}

/** The command that installs `binary` here (npm run setup does it for redis-server). */
function installLine(binary: string): string {
  const hint = INSTALL_HINTS[binary];
  if (!hint) return `install ${binary} so that it is on PATH`;
  const setup = binary === 'redis-server' ? 'run `npm run setup` in the bitcrawl folder, or ' : '';
  if (process.platform === 'darwin') return `${setup}run: brew install ${hint.brew}`;
  if (which('apt-get')) return `${setup}run: sudo apt-get install ${hint.apt}`;
  if (which('dnf')) return `${setup}run: sudo dnf install ${hint.dnf}`;
  return `${setup}install it with your package manager (apt-get install ${hint.apt}, brew install ${hint.brew}, dnf install ${hint.dnf})`;
}

/** Packages that provide the servers bitcrawl starts itself (MissingBinaryError names the binary). */
const INSTALL_HINTS: Record<string, { apt: string; brew: string; dnf: string }> = {
  'redis-server': { apt: 'redis-server', brew: 'redis', dnf: 'redis' },
  'clickhouse-server': {
    apt: 'clickhouse-server (from packages.clickhouse.com)',
    brew: '--cask clickhouse',
    dnf: 'clickhouse-server (from packages.clickhouse.com)',
  },
  dnsmasq: { apt: 'dnsmasq-base', brew: 'dnsmasq', dnf: 'dnsmasq' },
  microsocks: { apt: 'microsocks', brew: 'microsocks', dnf: 'microsocks' },
};
