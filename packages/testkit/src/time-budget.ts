import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Time limits for tests, sized from this machine's measured speed instead of a fixed guess: one
 * `bitcrawl --version` (tsx compiling and loading the CLI) is timed once per test run, and every
 * limit grows with it. On an idle machine that start takes about IDLE_CLI_STARTUP_MS; under
 * load (2 cores shared with other test runs) 3-5 times as long, and so do the limits.
 */
const IDLE_CLI_STARTUP_MS = 500;

/** The CLI's entry script (runs the sources through tsx, as `npx bitcrawl` does). */
export const CLI_BIN = fileURLToPath(new URL('../../../services/cli/bin/bitcrawl.mjs', import.meta.url));

/** Vitest's workers inherit the figure the config measured, so it is measured once per run. */
const ENV = 'BITCRAWL_TEST_CLI_STARTUP_MS';

/** Milliseconds one CLI start takes on this machine now (measured once, then cached). */
export function cliStartupMs(): number {
  const cached = Number(process.env[ENV]);
  if (Number.isFinite(cached) && cached > 0) return cached;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI_BIN, '--version'], { stdio: 'ignore' });
  const ms = Math.max(1, Math.round(performance.now() - t0));
  if (r.error) throw r.error;
  process.env[ENV] = String(ms);
  return ms;
}

/** How much slower than an idle machine this one is now (at least 1). */
export function loadFactor(): number {
  return Math.max(1, cliStartupMs() / IDLE_CLI_STARTUP_MS);
}

/** A time limit for work that takes `idleMs` at most on an idle machine, scaled to this one. */
export function budget(idleMs: number): number {
  return Math.round(idleMs * loadFactor());
}

/**
 * A time limit for a test that spawns the CLI `spawns` times (one after another) besides
 * `idleMs` of other work. A command that opens a store or starts a service loads several times
 * what `--version` loads, hence four measured starts per spawn.
 */
export function cliBudget(spawns: number, idleMs = 0): number {
  return budget(idleMs) + spawns * 4 * cliStartupMs();
}
