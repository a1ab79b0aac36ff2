import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Listeners whose SYNs go unanswered, for connect_timeout. On loopback the kernel answers
 * every SYN, so this uses the one honest way to drop them: a listening socket with a full
 * accept queue (backlog 0, filled by its own connections) that never accepts. Node always
 * accepts, hence a small python3 process holds these sockets.
 */
const SCRIPT = `
import socket, sys, time
socks = []
for hp in sys.argv[1:]:
    host, port = hp.rsplit(':', 1)
    s = socket.socket(socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(0); socks.append(s)
    for _ in range(3):
        c = socket.socket(socket.AF_INET); c.setblocking(False)
        try: c.connect((host, int(port)))
        except BlockingIOError: pass
        socks.append(c)
print('ready', flush=True)
sys.stdin.read()
`;

export interface Blackholes {
  stop(): Promise<void>;
}

export async function startBlackholes(endpoints: { host: string; port: number }[]): Promise<Blackholes> {
  if (endpoints.length === 0) return { stop: async () => {} };
  const child: ChildProcess = spawn(
    'python3',
    ['-c', SCRIPT, ...endpoints.map((e) => `${e.host}:${e.port}`)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`blackhole helper (python3) exited ${code}: ${err}`)));
    child.once('error', (e) => reject(new Error(`cannot run python3 for blackhole nodes: ${e.message}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        child.kill('SIGTERM');
      }),
  };
}
