export * from './contract.ts';
export * from './frontier.ts';
export * from './observation-stream.ts';
export * from './queues.ts';
export * from './round-ended.ts';
export * from './seeder-lease.ts';
export * from './status.ts';
