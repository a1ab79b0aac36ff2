import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The kernel's range for the local ports of outgoing connections (Linux), or its default. */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // not Linux: its usual range
  }
  return [32768, 60999];
}

/** Ports below this are left to well-known services. */
const LOWEST_PORT = 10_000;

/** Whether a listener can bind host:port now. */
function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on loopback for a server about to start, picked at random OUTSIDE the kernel's
 * ephemeral range. A port the kernel hands out (listen on 0) comes from that range, which is
 * also where every outgoing connection takes its local port: with a test's simnet crawl making
 * thousands of connections, one of them took such a port between the pick and the server's bind
 * (clickhouse-server: "Address already in use") on a loaded CI run. Falls back to the kernel's
 * pick when no random port is free.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [lo, hi] = ephemeralRange();
  const ranges = [
    [LOWEST_PORT, lo - 1],
    [hi + 1, 65535],
  ].filter(([a, b]) => (b as number) - (a as number) >= 1000) as [number, number][];
  for (let i = 0; i < 50 && ranges.length > 0; i++) {
    const [a, b] = ranges[i % ranges.length] as [number, number];
    const port = a + Math.floor(Math.random() * (b - a + 1));
    if (await bindable(port, host)) return port;
  }
  return kernelPort(host);
}

/** Asks the kernel for a free TCP port. */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connect to host:port succeeds, or rejects after `timeoutMs`. */
export async function waitForPort(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 20_000,
  signal?: AbortSignal,
): Promise<void> {
  return waitForListener({ port, host }, `${host}:${port}`, timeoutMs, signal);
}

/** Resolves once something accepts connections on the unix socket at `socketPath`. */
export async function waitForSocket(socketPath: string, timeoutMs = 20_000): Promise<void> {
  return waitForListener({ path: socketPath }, socketPath, timeoutMs);
}

async function waitForListener(
  to: net.NetConnectOpts,
  where: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(to);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (signal?.aborted) throw new Error(`stopped waiting for ${where}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${where} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
