import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { MissingBinaryError, spawnManaged, which } from './process.ts';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free loopback port (no persistence unless asked). */
export async function startRedis(
  opts: { port?: number; appendonly?: boolean; dir?: string; ownProcessGroup?: boolean } = {},
): Promise<RedisServer> {
  const bin = which('redis-server');
  if (!bin) throw new MissingBinaryError('redis-server', 'redis-server');
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'bitcrawl-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
  ];
  const proc = spawnManaged(bin, args, { ownProcessGroup: opts.ownProcessGroup === true });
  try {
    await waitForPort(port);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`redis-server did not start: ${(err as Error).message}\n${proc.output()}`);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await proc.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
