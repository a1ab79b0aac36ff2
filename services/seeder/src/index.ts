export { type SeederServiceConfig, seederConfigFrom } from './config.ts';
export { main } from './main.ts';
export * from './rounds.ts';
export * from './seeder.ts';
export { start } from './start.ts';
