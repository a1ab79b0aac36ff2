export * from './clickhouse.ts';
export * from './dns.ts';
export * from './loopback-timers.ts';
export * from './ports.ts';
export * from './process.ts';
export * from './redis.ts';
export * from './socks.ts';
export * from './time-budget.ts';
