import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { MissingBinaryError, spawnManaged, which } from './process.ts';

export interface ClickHouseServer {
  /** HTTP URL for @clickhouse/client. */
  url: string;
  httpPort: number;
  tcpPort: number;
  /** Stops the server but keeps its data, so `start()` brings the same server back (outage tests). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function configXml(dir: string, httpPort: number, tcpPort: number, interserverPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <interserver_http_port>${interserverPort}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;
}

const usersXml = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/**
 * Starts Debian's clickhouse-server (18.16) on free loopback ports. Waits until the HTTP
 * interface answers `SELECT 1`. Its data go to a private temp directory, removed at stop(), or
 * with `dataDir` to that directory (created if missing), which stop() leaves in place: a later
 * start on it finds every table and row again.
 */
export async function startClickHouse(
  opts: { ownProcessGroup?: boolean; dataDir?: string } = {},
): Promise<ClickHouseServer> {
  const bin = which('clickhouse-server');
  if (!bin) throw new MissingBinaryError('clickhouse-server', 'clickhouse-server');
  const dir = opts.dataDir ? path.resolve(opts.dataDir) : mkdtempSync(path.join(tmpdir(), 'bitcrawl-ch-'));
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas'])
    mkdirSync(path.join(dir, sub), { recursive: true });
  const [httpPort, tcpPort, interserverPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(path.join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort, interserverPort));
  writeFileSync(path.join(dir, 'users.xml'), usersXml);
  const url = `http://127.0.0.1:${httpPort}`;
  let proc: ReturnType<typeof spawnManaged> | undefined;
  const start = async () => {
    const p = spawnManaged(bin, [`--config-file=${path.join(dir, 'config.xml')}`], {
      cwd: dir,
      ownProcessGroup: opts.ownProcessGroup === true,
    });
    proc = p;
    try {
      await waitForPort(httpPort, '127.0.0.1', 60_000);
      await waitForHttp(`${url}/?query=SELECT%201`, 30_000);
    } catch (err) {
      await p.stop('SIGKILL');
      throw new Error(`clickhouse-server did not start: ${(err as Error).message}\n${p.output()}`);
    }
  };
  await start();
  return {
    url,
    httpPort,
    tcpPort,
    kill: async () => {
      await proc?.stop('SIGKILL');
    },
    start,
    async stop() {
      await proc?.stop();
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
