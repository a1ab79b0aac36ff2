export * from './scheduler.ts';
export * from './seeder.ts';
