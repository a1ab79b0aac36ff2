import { freePort, waitForPort } from './ports.ts';
import { MissingBinaryError, spawnManaged, which } from './process.ts';

export interface SocksServer {
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts Debian's microsocks (a real SOCKS5 server) on a free loopback port. */
export async function startMicrosocks(): Promise<SocksServer> {
  const bin = which('microsocks');
  if (!bin) throw new MissingBinaryError('microsocks', 'microsocks');
  const port = await freePort();
  const proc = spawnManaged(bin, ['-i', '127.0.0.1', '-p', String(port)]);
  try {
    await waitForPort(port);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`microsocks did not start: ${(err as Error).message}\n${proc.output()}`);
  }
  return { host: '127.0.0.1', port, url: `socks5://127.0.0.1:${port}`, stop: () => proc.stop() };
}
