/**
 * The local-server launcher: redis-server, clickhouse-server, microsocks and dnsmasq on free
 * loopback ports, as child processes that end with their parent. `bitcrawl crawl` and
 * `bitcrawl stack` start their servers with it at run time; testkit re-exports it for tests
 * (which test it: packages/testkit/src/servers.test.ts, process.test.ts).
 */
export * from './clickhouse.ts';
export * from './dns.ts';
export * from './ports.ts';
export * from './process.ts';
export * from './redis.ts';
export * from './socks.ts';
