import { Resolver } from 'node:dns/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { freePort, startClickHouse, startDnsmasq, startMicrosocks, startRedis } from './index.ts';
import { budget } from './time-budget.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(90_000) });

/** One inline command's first reply chunk, over TCP (a port) or a unix socket (a path). */
function redisSay(to: number | string, command = 'PING'): Promise<string> {
  return new Promise((resolve, reject) => {
    const where = typeof to === 'number' ? { port: to, host: '127.0.0.1' } : { path: to };
    const s = net.connect(where, () => s.write(`${command}\r\n`));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
  });
}
const redisPing = (port: number) => redisSay(port);

describe('freePort', () => {
  it("picks ports outside the kernel's range for outgoing connections, where no client socket can take them", async () => {
    const [lo, hi] = (await import('node:fs'))
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number) as [number, number];
    for (let i = 0; i < 100; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port >= lo && port <= hi).toBe(false);
    }
  });
});

describe('testkit starts real servers on loopback', () => {
  it('clickhouse-server whose HTTP port was taken before it bound it starts again on new ports', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const taken = (squatter.address() as net.AddressInfo).port;
    let picks = 0;
    const ch = await startClickHouse({
      pickPort: () => (picks++ === 0 ? Promise.resolve(taken) : freePort()),
    });
    try {
      expect(picks).toBe(6); // two attempts of three ports
      expect(ch.httpPort).not.toBe(taken);
      const res = await fetch(`${ch.url}/?query=SELECT%201`);
      expect((await res.text()).trim()).toBe('1');
    } finally {
      await ch.stop();
      squatter.close();
    }
  });

  it('redis-server answers PING', async () => {
    const redis = await startRedis();
    try {
      expect(await redisPing(redis.port)).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
    }
  });

  it('redis-server started with a nice value runs at it', async () => {
    const redis = await startRedis({ nice: 7 });
    try {
      const info = await redisSay(redis.port, 'INFO server');
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      expect(pid).toBeGreaterThan(0);
      expect(getPriority(pid)).toBe(7);
    } finally {
      await redis.stop();
    }
  });

  it('redis-server with a socket: the url names it, clients reach it there, and the TCP port still answers', async () => {
    const redis = await startRedis({ socket: true });
    try {
      const socketPath = new URL(redis.url).searchParams.get('path') as string;
      expect(socketPath).toMatch(/redis\.sock$/);
      expect(existsSync(socketPath)).toBe(true);
      expect(await redisSay(socketPath)).toBe('+PONG\r\n');
      // The connection is the socket's: Redis names the socket as its local address.
      expect(await redisSay(socketPath, 'CLIENT INFO')).toContain(`laddr=${socketPath}`);
      expect(await redisPing(redis.port)).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
    }
  });

  it('redis-server whose socket path would be too long for a unix socket stays on TCP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), `bitcrawl-redis-${'x'.repeat(100)}-`));
    const redis = await startRedis({ socket: true, dir });
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redisPing(redis.port)).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('clickhouse-server answers over HTTP', async () => {
    const ch = await startClickHouse();
    try {
      const res = await fetch(`${ch.url}/?query=SELECT%20version()`);
      expect((await res.text()).trim()).toMatch(/^18\.16/);
    } finally {
      await ch.stop();
    }
  });

  it('clickhouse-server with a data folder keeps its tables and rows for the next server on it', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-ch-keep-')), 'clickhouse');
    const sql = async (url: string, q: string) => {
      const res = await fetch(`${url}/?query=${encodeURIComponent(q)}`, { method: 'POST' });
      return (await res.text()).trim();
    };
    const first = await startClickHouse({ dataDir });
    await sql(first.url, 'CREATE TABLE kept (n UInt8) ENGINE = MergeTree ORDER BY n');
    await sql(first.url, 'INSERT INTO kept VALUES (7)');
    await first.stop();
    expect(existsSync(path.join(dataDir, 'data'))).toBe(true);
    const second = await startClickHouse({ dataDir });
    try {
      expect(await sql(second.url, 'SELECT sum(n) FROM kept')).toBe('7');
    } finally {
      await second.stop();
    }
  });

  it('dnsmasq serves only the given names', async () => {
    const dns = await startDnsmasq({ 'seed.example.test': ['127.0.0.7', '::1'] });
    try {
      const r = new Resolver();
      r.setServers([dns.server]);
      expect(await r.resolve4('seed.example.test')).toEqual(['127.0.0.7']);
      expect(await r.resolve6('seed.example.test')).toEqual(['::1']);
    } finally {
      await dns.stop();
    }
  });

  it('microsocks speaks SOCKS5 (no-auth greeting)', async () => {
    const socks = await startMicrosocks();
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const s = net.connect({ port: socks.port, host: socks.host }, () => s.write(Buffer.from([5, 1, 0])));
        s.once('data', (d) => {
          resolve(d);
          s.destroy();
        });
        s.once('error', reject);
      });
      expect([...reply]).toEqual([5, 0]);
    } finally {
      await socks.stop();
    }
  });
});
