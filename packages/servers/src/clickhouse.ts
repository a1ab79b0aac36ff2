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
  opts: {
    ownProcessGroup?: boolean;
    dataDir?: string;
    /** Picks each port (default freePort); tests give it a taken one to see the retry. */
    pickPort?: () => Promise<number>;
  } = {},
): Promise<ClickHouseServer> {
  const bin = which('clickhouse-server');
  if (!bin) throw new MissingBinaryError('clickhouse-server', 'clickhouse-server');
  const dir = opts.dataDir ? path.resolve(opts.dataDir) : mkdtempSync(path.join(tmpdir(), 'bitcrawl-ch-'));
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas'])
    mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, 'users.xml'), usersXml);
  let httpPort = 0;
  let tcpPort = 0;
  let url = '';
  const pickPorts = async () => {
    const pick = opts.pickPort ?? (() => freePort());
    httpPort = await pick();
    tcpPort = await pick();
    const interserverPort = await pick();
    writeFileSync(path.join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort, interserverPort));
    url = `http://127.0.0.1:${httpPort}`;
  };
  let proc: ReturnType<typeof spawnManaged> | undefined;
  const start = async () => {
    const p = spawnManaged(bin, [`--config-file=${path.join(dir, 'config.xml')}`], {
      cwd: dir,
      ownProcessGroup: opts.ownProcessGroup === true,
    });
    proc = p;
    // A server that exits (a port taken, a bad config) fails the start at once, not after 60 s;
    // 'close' comes once its output is read too, so the error below carries the reason.
    const gone = new AbortController();
    const exited = new Promise<never>((_, reject) => {
      p.child.once('close', (code, signal) => {
        gone.abort();
        reject(new Error(`clickhouse-server exited (${signal ?? code})`));
      });
    });
    exited.catch(() => {});
    try {
      await Promise.race([waitForPort(httpPort, '127.0.0.1', 60_000, gone.signal), exited]);
      await Promise.race([waitForHttp(`${url}/?query=SELECT%201`, 30_000, gone.signal), exited]);
    } catch (err) {
      await p.stop('SIGKILL');
      throw new Error(`clickhouse-server did not start: ${(err as Error).message}\n${p.output()}`);
    }
  };
  // Another process may still take a port between the pick and the bind: then new ports.
  for (let attempt = 1; ; attempt++) {
    await pickPorts();
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
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

async function waitForHttp(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (signal?.aborted) throw new Error(`stopped waiting for ${url}`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
