export { main, seederEnvSchema } from './main.ts';
export * from './scheduler.ts';
export * from './seeder.ts';
