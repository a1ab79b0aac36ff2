export { main, workerEnvSchema } from './main.ts';
export * from './worker.ts';
