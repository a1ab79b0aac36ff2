export { main, seederEnvSchema } from './main.ts';
export * from './rounds.ts';
export * from './seeder.ts';
