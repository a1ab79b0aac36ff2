import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import { budget } from './time-budget.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(15_000) });

const processModule = path.join(import.meta.dirname, 'process.ts');

/** A live process: present in /proc and not a zombie (an orphan's corpse may wait for a reaper). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('spawnManaged({ ownProcessGroup: true })', () => {
  it('does not outlive a parent killed with SIGKILL (no exit handlers run), and not before', async () => {
    // The parent: starts a "server" (sleep) in its own process group, prints its pid, waits.
    const code = `
      const { spawnManaged } = await import(${JSON.stringify(processModule)});
      const server = spawnManaged('sleep', ['300'], { ownProcessGroup: true });
      console.log(server.child.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: parent.stdout! });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    const serverPid = Number(first);
    expect(serverPid).toBeGreaterThan(0);
    try {
      // While the parent lives, the guard leaves the server alone.
      await new Promise((r) => setTimeout(r, 1500));
      expect(alive(serverPid)).toBe(true);
      parent.kill('SIGKILL');
      // The guard polls once a second, then sends the server's group SIGTERM.
      expect(await waitFor(() => !alive(serverPid), budget(5000))).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });
});
