import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Finds an executable on PATH (and the sbin dirs Debian puts servers in). */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const full = path.join(dir, bin);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export class MissingBinaryError extends Error {
  readonly code = 'MISSING_BINARY';
  constructor(
    readonly binary: string,
    readonly aptPackage: string,
  ) {
    super(`${binary} is not installed; install it with: apt-get install -y ${aptPackage}`);
  }
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Collected stderr/stdout tail, for error messages when the server fails to start. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  /**
   * Run the server in its own process group. A terminal's Ctrl-C signals the whole foreground
   * group: a server in ours would die at that same moment, under the graceful shutdown that
   * still needs it (a crawl's private Redis holds what the ingester has yet to store). Only
   * stop() ends it then, and our own exit kills it, so it does not outlive us.
   */
  ownProcessGroup?: boolean;
}

/** Spawns a server process, keeps the last 8 KiB of its output, and stops it on demand. */
export function spawnManaged(bin: string, args: string[], opts: SpawnOptions = {}): ManagedProcess {
  const child = spawn(bin, args, {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup === true,
  });
  if (opts.ownProcessGroup) {
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a command to completion, collecting its output (for CLI tests). */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
