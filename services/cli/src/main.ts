import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { registerCommands } from './commands/index.ts';
import { describeConnectionError } from './reachability.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

/** Where the CLI's entry script finds its companions (set by bin/bitcrawl.mjs and the bundle's entry). */
export interface CliEntry {
  /** The script a crawl thread of `bitcrawl worker` runs (THREADS > 1). */
  workerThreadEntry?: string;
  /** The script the ingest thread of `bitcrawl crawl` runs. */
  ingestThreadEntry?: string;
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
  const program = buildProgram(entry);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`bitcrawl: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ZodError) {
      const lines = err.issues.map((i) => `  ${i.path.join('.') || '(value)'}: ${i.message}`);
      process.stderr.write(`bitcrawl: invalid configuration:\n${lines.join('\n')}\n`);
      return 2;
    }
    if (isCoded(err, 'MISSING_BINARY')) {
      const binary = (err as { binary?: string }).binary ?? '';
      const hint = INSTALL_HINTS[binary];
      process.stderr.write(
        `bitcrawl: ${err.message}\n` +
          (hint
            ? `  Debian/Ubuntu: sudo apt-get install ${hint.apt}\n  macOS:         brew install ${hint.brew}\n  Fedora/RHEL:   sudo dnf install ${hint.dnf}\n`
            : ''),
      );
      return 1;
    }
    // A GeoIP/ASN or cloud ASN file that cannot be used (the message names the file and line).
    if (err instanceof Error && /^(GEO_DB_|CLOUD_ASNS_)/.test(String((err as { code?: unknown }).code))) {
      process.stderr.write(`bitcrawl: invalid configuration: ${err.message}\n`);
      return 2;
    }
    if (
      isCoded(err, 'INGESTER_FATAL') ||
      isCoded(err, 'UNREACHABLE') ||
      isCoded(err, 'PROXY_UNREACHABLE') ||
      isCoded(err, 'LOCAL_RESOURCES') ||
      isCoded(err, 'STORE_UNUSABLE') ||
      isCoded(err, 'PORT_IN_USE') ||
      isCoded(err, 'ENGINE_THREAD_DIED')
    ) {
      process.stderr.write(`bitcrawl: ${err.message}\n`);
      return 1;
    }
    const unreachable = describeConnectionError(err);
    if (unreachable) {
      process.stderr.write(`bitcrawl: ${unreachable}\n`);
      return 1;
    }
    throw err;
  }
}

function isCoded(err: unknown, code: string): err is Error {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/** Packages that provide the servers bitcrawl starts itself (testkit's MissingBinaryError names the binary). */
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
