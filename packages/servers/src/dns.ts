import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { MissingBinaryError, spawnManaged, which } from './process.ts';

export interface DnsServer {
  /** `127.0.0.1:PORT`, for dns.Resolver#setServers. */
  server: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq on a free loopback UDP/TCP port, authoritative for the given names only
 * (no upstream resolvers, no /etc/hosts), so nothing is ever looked up off this machine.
 */
export async function startDnsmasq(records: Record<string, string[]>): Promise<DnsServer> {
  const bin = which('dnsmasq');
  if (!bin) throw new MissingBinaryError('dnsmasq', 'dnsmasq-base');
  const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-dns-'));
  const hosts = Object.entries(records)
    .flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name}`))
    .join('\n');
  const hostsFile = path.join(dir, 'hosts');
  writeFileSync(hostsFile, `${hosts}\n`);
  const port = await freePort();
  const proc = spawnManaged(bin, [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${hostsFile}`,
    '--user=root',
    `--pid-file=${path.join(dir, 'pid')}`,
    '--log-facility=-',
  ]);
  // Ready once it accepts on its port (it binds UDP and TCP together), not after a fixed pause
  // (300 ms), which a loaded machine can outlast.
  const exited = new AbortController();
  proc.child.once('exit', () => exited.abort());
  try {
    await waitForPort(port, '127.0.0.1', 20_000, exited.signal);
  } catch (err) {
    await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`dnsmasq did not start: ${(err as Error).message}\n${proc.output()}`);
  }
  return {
    server: `127.0.0.1:${port}`,
    port,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
