import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { InfraError } from '@bitcrawl/model';

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

export class MissingBinaryError extends InfraError {
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
   * stop() ends it then, and our own exit kills it; if we die without running exit handlers
   * (SIGKILL, a crash of node itself), a small guard process (GUARD_SCRIPT, Linux) ends it
   * within seconds.
   */
  ownProcessGroup?: boolean;
}

/**
 * Watches two pids: $1 (us, its parent) and $2 (the server, leader of its own process group).
 * We are gone when the guard has been re-parented (to init or a subreaper): unlike `kill -0`,
 * that holds even while our corpse waits to be reaped. The server counts as gone when /proc has
 * no live process for it (a zombie is gone). Once we are gone and the server is not, it sends
 * the server's group SIGTERM, then SIGKILL after 10 s. It ends by itself once the server is
 * gone. A shell loop (Linux /proc), not a node process: it costs about a megabyte.
 */
const GUARD_SCRIPT = [
  'parent=$1; group=$2',
  // Field 3 of /proc/PID/stat (after the command name, which may hold spaces and parentheses).
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'state() { s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; echo "${s%% *}"; }',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'ppid() { s=$(cat "/proc/$$/stat" 2>/dev/null) || return 1; s=${s##*) }; s=${s#* }; echo "${s%% *}"; }',
  'alive() { st=$(state "$1") && [ -n "$st" ] && [ "$st" != Z ]; }',
  'while [ "$(ppid)" = "$parent" ] && alive "$group"; do sleep 1; done',
  'alive "$group" || exit 0',
  'kill -TERM "-$group" 2>/dev/null',
  'i=0; while [ $i -lt 10 ] && alive "$group"; do sleep 1; i=$((i + 1)); done',
  'kill -KILL "-$group" 2>/dev/null; exit 0',
].join('\n');

/** Starts the guard for a server in its own process group (see GUARD_SCRIPT). */
function guardServer(serverPid: number): ChildProcess {
  // Detached too: a Ctrl-C to our group must not take the guard with it.
  const guard = spawn(
    '/bin/sh',
    ['-c', GUARD_SCRIPT, 'bitcrawl-guard', String(process.pid), String(serverPid)],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  guard.on('error', () => {}); // no /bin/sh: the exit handler below still covers normal exits
  guard.unref();
  return guard;
}

/** Spawns a server process, keeps the last 8 KiB of its output, and stops it on demand. */
export function spawnManaged(bin: string, args: string[], opts: SpawnOptions = {}): ManagedProcess {
  const child = spawn(bin, args, {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup === true,
  });
  if (opts.ownProcessGroup && child.pid !== undefined) {
    const guard = guardServer(child.pid);
    const group = child.pid;
    // The whole group: a server's own children (a Redis save, say) go with it.
    const killOnExit = () => {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    process.once('exit', killOnExit);
    child.once('exit', () => {
      process.off('exit', killOnExit);
      guard.kill('SIGKILL'); // its job is done; do not leave it polling for up to a second
    });
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
